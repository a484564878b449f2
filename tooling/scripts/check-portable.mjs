#!/usr/bin/env node
// Fails when a portable package's src/ reaches for Node: a static `node:` import, `process`,
// `Buffer`, `__dirname` or `require`. (The compiler catches most of this through
// `"types": []`; this check also covers what a type cast could hide.) The one sanctioned
// exception is core's async-context adapter, which loads node:async_hooks dynamically.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");
const allowed = new Set(["packages/core/src/async-context.ts"]);
const patterns = [
  { name: "static node: import", regex: /^\s*import\s[^;]*from\s+["']node:/m },
  { name: "process global", regex: /(?<![.\w])process\s*\./ },
  { name: "Buffer global", regex: /(?<![.\w])Buffer\s*[.(]/ },
  { name: "__dirname", regex: /\b__dirname\b/ },
  { name: "require()", regex: /(?<![.#\w])require\s*\(/ },
];

function files(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory()
      ? files(path)
      : path.endsWith(".ts") && !path.endsWith(".test.ts")
        ? [path]
        : [];
  });
}

const problems = [];
for (const name of readdirSync(join(root, "packages"))) {
  const dir = join(root, "packages", name);
  const manifest = join(dir, "package.json");
  if (!existsSync(manifest) || JSON.parse(readFileSync(manifest, "utf8")).oxios?.portable !== true) continue;
  for (const file of files(join(dir, "src"))) {
    const path = relative(root, file);
    if (allowed.has(path)) continue;
    const text = readFileSync(file, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
    for (const pattern of patterns) if (pattern.regex.test(text)) problems.push(`${path}: ${pattern.name}`);
  }
}
if (problems.length > 0) {
  console.error(`portable packages must not use Node globals:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("portable packages use web-standard APIs only");
