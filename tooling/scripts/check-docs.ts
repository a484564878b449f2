// Keeps the docs honest where code can check them:
// - docs/lock-ordering.md and KERNEL_LOCK_RANKS say the same thing;
// - every file the guarantee table of docs/architecture.md names exists. A name with a slash is
//   a path from the repository root; a bare name must match exactly one file in the repository.
//   Its Code column names files by their path, each followed by the functions, methods or
//   classes that keep the guarantee, and each of those is declared in that file;
// - docs/errors.md is what the declared error codes render to;
// - no source file writes an error code inline: codes are declared in a package's
//   src/error-codes.ts and used through its table (see error-code-literals.ts);
// - no name is exported by two packages' public entries, so each name means one thing across
//   the workspace, and the kernel's production code imports no `./testing` entry
//   (see public-names.ts).
// Run with `--conditions=@oxios/source` (the `check:docs` script does), so the packages load
// from their sources.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { errorCatalog } from "../../apps/kernel/src/error-catalog.ts";
import { readErrorsDoc, renderErrorsMarkdown } from "../../apps/kernel/src/http/errors-markdown.ts";
import { KERNEL_LOCK_RANKS } from "../../packages/core/src/lock-ranks.ts";
import { inlineErrorCodes } from "./error-code-literals.ts";
import { exportedNames, publicEntries, sharedNames, testingImports } from "./public-names.ts";

const root = resolve(import.meta.dirname, "..", "..");
const problems: string[] = [];

const text = readFileSync(resolve(root, "docs", "lock-ordering.md"), "utf8");
const documented = new Map<string, number>();
for (const match of text.matchAll(/^\|\s*`([a-z0-9.-]+)`\s*\|\s*(\d+)\s*\|/gm)) {
  documented.set(match[1] as string, Number(match[2]));
}
for (const [name, rank] of Object.entries(KERNEL_LOCK_RANKS)) {
  if (!documented.has(name)) problems.push(`${name} (rank ${rank}) is missing from docs/lock-ordering.md`);
  else if (documented.get(name) !== rank) problems.push(`${name}: code says ${rank}, docs say ${documented.get(name)}`);
}
for (const name of documented.keys()) {
  if (!(name in KERNEL_LOCK_RANKS)) problems.push(`docs/lock-ordering.md lists ${name}, which KERNEL_LOCK_RANKS lacks`);
}

/** Every file in the repository, as paths from the root (dependencies, builds and git left out). */
function repositoryFiles(directory: string, found: string[] = []): string[] {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) repositoryFiles(path, found);
    else found.push(relative(root, path));
  }
  return found;
}

const architecture = readFileSync(resolve(root, "docs", "architecture.md"), "utf8");
const section = architecture.split(/^## /m).find((part) => part.startsWith("Guarantees and where they live"));
let cited = 0;
if (section === undefined) {
  problems.push('docs/architecture.md has no "Guarantees and where they live" section');
} else {
  const files = repositoryFiles(root);
  const paths = new Set(files);
  const rows = section.split("\n").filter((line) => line.startsWith("|") && !/^\|[-\s|]+\|$/.test(line));
  const header = cells(rows[0] ?? "");
  const codeColumn = header.indexOf("Code");
  if (codeColumn === -1) problems.push("the guarantee table of docs/architecture.md has no Code column");
  for (const row of rows.slice(1)) {
    const guarantee = cells(row)[0] ?? "?";
    const code = codeColumn === -1 ? undefined : cells(row)[codeColumn];
    if (code !== undefined) {
      const named = codeReferences(code);
      if (named.length === 0) problems.push(`guarantee "${guarantee}" names no code`);
      for (const { path, names } of named) {
        if (!paths.has(path)) {
          problems.push(`guarantee "${guarantee}" names ${path} as its code, which does not exist`);
          continue;
        }
        const source = readFileSync(resolve(root, path), "utf8");
        for (const name of names) {
          if (!declares(source, name))
            problems.push(`guarantee "${guarantee}" names ${name} in ${path}, which does not declare it`);
        }
      }
    }
    for (const match of row.matchAll(/`([A-Za-z0-9_./-]+\.(?:ts|mjs|js|md|json|toml))`/g)) {
      const name = match[1] as string;
      cited += 1;
      if (name.includes("/")) {
        if (!paths.has(name)) problems.push(`guarantee "${guarantee}" names ${name}, which does not exist`);
        continue;
      }
      const matches = files.filter((file) => file === name || file.endsWith(`/${name}`));
      if (matches.length === 0) problems.push(`guarantee "${guarantee}" names ${name}, which does not exist`);
      else if (matches.length > 1) {
        problems.push(
          `guarantee "${guarantee}" names ${name}, which is ambiguous (${matches.join(", ")}): give its path`,
        );
      }
    }
  }
}

/** The cells of a Markdown table row, trimmed. */
function cells(row: string): string[] {
  return row
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** The Code cell as files (paths from the root) with the names given after each. */
function codeReferences(cell: string): Array<{ path: string; names: string[] }> {
  const references: Array<{ path: string; names: string[] }> = [];
  for (const match of cell.matchAll(/`([^`]+)`/g)) {
    const token = match[1] as string;
    if (/\.(?:ts|mjs|js|md|json|toml)$/.test(token)) references.push({ path: token, names: [] });
    else references.at(-1)?.names.push(token);
  }
  return references;
}

/** Whether `source` declares `name`: a function, class, interface, type, constant, method or key. */
function declares(source: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const declarations = [
    String.raw`\b(?:function\*?|class|interface|type|const|let)\s+${escaped}\b`,
    String.raw`^\s*(?:(?:static|async|get|readonly|private|public)\s+)*${escaped}\s*[<(=:]`,
    String.raw`"${escaped}"\s*:`,
  ];
  return declarations.some((pattern) => new RegExp(pattern, "m").test(source));
}

if (readErrorsDoc() !== renderErrorsMarkdown()) {
  problems.push(
    "docs/errors.md is out of date: run `node --conditions=@oxios/source --import tsx apps/kernel/src/http/errors-markdown.ts --write` in the repository root",
  );
}
const declaredCodes = new Set(errorCatalog().map((declared) => declared.code));
const inline = inlineErrorCodes(root, declaredCodes);
for (const finding of inline) problems.push(`${finding.file}:${finding.line}: ${finding.problem}`);

const entries = publicEntries(root);
const names = exportedNames(root, entries);
for (const { name, exportedBy } of sharedNames(names)) {
  problems.push(
    `${name} is exported by ${exportedBy.join(" and ")}: rename one, or import it from where it is declared`,
  );
}
for (const where of testingImports(root))
  problems.push(`${where}: the kernel imports a ./testing entry in production code`);

if (problems.length > 0) {
  console.error(`docs out of step:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(
  `lock docs match KERNEL_LOCK_RANKS (${documented.size} locks); the guarantee table's ${cited} file names all exist; ` +
    `docs/errors.md matches the ${declaredCodes.size} declared error codes, and no source writes one inline; ` +
    `no name is exported by two of the ${entries.length} public entries, and the kernel imports no ./testing entry`,
);
