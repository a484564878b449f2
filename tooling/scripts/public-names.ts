// The names each package's public entries export (`.` and every subpath of its `exports` map,
// read from the `@oxios/source` condition), resolved with the TypeScript checker, and the
// names two packages both export. A name means one thing across the workspace: a package
// that needs another's type imports it from there instead of exporting it again.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";

export interface PublicEntry {
  /** The package name, `@oxios/runtime`. */
  packageName: string;
  /** The subpath, `.` or `./testing`. */
  subpath: string;
  /** The entry file, from the repository root. */
  file: string;
}

export interface SharedName {
  name: string;
  /** `@oxios/runtime` or `@oxios/runtime/testing`, for each package exporting it. */
  exportedBy: string[];
}

/** The public entries of every package under `packages/` and `apps/`. */
export function publicEntries(root: string): PublicEntry[] {
  const entries: PublicEntry[] = [];
  for (const group of ["packages", "apps"]) {
    for (const directory of readdirSync(resolve(root, group), { withFileTypes: true })) {
      if (!directory.isDirectory()) continue;
      const packageDirectory = resolve(root, group, directory.name);
      let manifest: { name: string; exports?: Record<string, unknown> };
      try {
        manifest = JSON.parse(readFileSync(join(packageDirectory, "package.json"), "utf8"));
      } catch {
        continue;
      }
      for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
        const source = (target as Record<string, unknown> | null)?.["@oxios/source"];
        if (typeof source !== "string") continue;
        entries.push({
          packageName: manifest.name,
          subpath,
          file: relative(root, resolve(packageDirectory, source)),
        });
      }
    }
  }
  return entries;
}

/** Every exported name of each entry, keyed by `package/subpath`. */
export function exportedNames(root: string, entries: readonly PublicEntry[]): Map<string, string[]> {
  const program = ts.createProgram(
    entries.map((entry) => resolve(root, entry.file)),
    {
      allowImportingTsExtensions: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
      customConditions: ["@oxios/source"],
      skipLibCheck: true,
    },
  );
  const checker = program.getTypeChecker();
  const names = new Map<string, string[]>();
  for (const entry of entries) {
    const source = program.getSourceFile(resolve(root, entry.file));
    const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    const label = entry.subpath === "." ? entry.packageName : `${entry.packageName}/${entry.subpath.slice(2)}`;
    names.set(label, symbol === undefined ? [] : checker.getExportsOfModule(symbol).map((item) => item.getName()));
  }
  return names;
}

/**
 * Names exported by more than one package, a re-export of another package's declaration
 * included. Two entries of one package (`@oxios/memory` and `@oxios/memory/testing`) may
 * share a name: they are one package.
 */
export function sharedNames(names: ReadonlyMap<string, readonly string[]>): SharedName[] {
  const byName = new Map<string, string[]>();
  for (const [label, exported] of names) {
    for (const name of exported) byName.set(name, [...(byName.get(name) ?? []), label]);
  }
  const shared: SharedName[] = [];
  for (const [name, labels] of byName) {
    const packages = new Set(labels.map((label) => label.split("/").slice(0, 2).join("/")));
    if (packages.size > 1) shared.push({ name, exportedBy: labels });
  }
  return shared.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Production sources (tests, fixtures and `testing/` folders left out) of the kernel app that
 * import a package's `./testing` entry: fakes never ship in the kernel.
 */
export function testingImports(root: string): string[] {
  const found: string[] = [];
  const visit = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "testing" && entry.name !== "__fixtures__" && entry.name !== "node_modules") visit(path);
      } else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && entry.name !== "test-support.ts") {
        const lines = readFileSync(path, "utf8").split("\n");
        lines.forEach((line, index) => {
          if (/from\s+["']@oxios\/[a-z-]+\/testing["']/.test(line)) found.push(`${relative(root, path)}:${index + 1}`);
        });
      }
    }
  };
  visit(resolve(root, "apps", "kernel", "src"));
  return found;
}

if (process.argv[1] === import.meta.filename) {
  const root = resolve(import.meta.dirname, "..", "..");
  const names = exportedNames(root, publicEntries(root));
  if (process.argv.includes("--list")) {
    for (const [label, exported] of names) console.log(`${label} (${exported.length}): ${exported.sort().join(", ")}`);
  }
  for (const { name, exportedBy } of sharedNames(names)) console.log(`${name}: ${exportedBy.join(", ")}`);
}
