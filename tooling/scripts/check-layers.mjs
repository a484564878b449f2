#!/usr/bin/env node
// Enforces the dependency layers of docs/architecture.md: a package may depend only on the
// workspace packages its layer allows, must declare every @oxios/* package its src/ imports,
// and nothing may import apps/. Cycles between workspace packages are impossible as a result.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");
const allowed = {
  "@oxios/core": [],
  "@oxios/database": ["@oxios/core"],
  "@oxios/event-bus": ["@oxios/core", "@oxios/database"],
  "@oxios/state-store": ["@oxios/core"],
  "@oxios/memory": ["@oxios/core", "@oxios/database", "@oxios/event-bus"],
  "@oxios/space": ["@oxios/core", "@oxios/database", "@oxios/event-bus"],
  "@oxios/scheduler": ["@oxios/core", "@oxios/database", "@oxios/event-bus"],
  "@oxios/supervisor": ["@oxios/core", "@oxios/event-bus"],
  "@oxios/tools": ["@oxios/core", "@oxios/event-bus"],
  "@oxios/runtime": [
    "@oxios/core",
    "@oxios/database",
    "@oxios/event-bus",
    "@oxios/state-store",
    "@oxios/memory",
    "@oxios/space",
    "@oxios/scheduler",
    "@oxios/supervisor",
    "@oxios/tools",
  ],
  "@oxios/daemon": ["@oxios/core", "@oxios/event-bus"],
};

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory()
      ? sourceFiles(path)
      : path.endsWith(".ts") && !path.endsWith(".test.ts")
        ? [path]
        : [];
  });
}

const problems = [];
for (const group of ["packages", "apps"]) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  for (const name of readdirSync(base)) {
    const manifestPath = join(base, name, "package.json");
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    const declared = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((dep) =>
      dep.startsWith("@oxios/"),
    );
    if (group === "packages") {
      const permitted = allowed[manifest.name];
      if (permitted === undefined)
        problems.push(`${manifest.name}: not in the layer table (tooling/scripts/check-layers.mjs)`);
      else
        for (const dep of declared)
          if (!permitted.includes(dep)) problems.push(`${manifest.name} may not depend on ${dep} (layer rule)`);
    }
    for (const file of sourceFiles(join(base, name, "src"))) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/from\s+["'](@oxios\/[a-z-]+)(?:\/[^"']*)?["']/g)) {
        const imported = match[1];
        if (imported !== manifest.name && !declared.includes(imported))
          problems.push(`${relative(root, file)} imports ${imported}, which ${manifest.name} does not declare`);
        if (imported === manifest.name) problems.push(`${relative(root, file)} imports its own package index`);
      }
      if (/from\s+["'][^"']*apps\//.test(text)) problems.push(`${relative(root, file)} imports from apps/`);
    }
  }
}
if (problems.length > 0) {
  console.error(`layer check failed:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("layer check passed");
