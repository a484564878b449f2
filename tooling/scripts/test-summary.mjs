#!/usr/bin/env node
// Sums every package's vitest JSON report (test-results/vitest.json) into one closing line.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");
let passed = 0;
let failed = 0;
let skipped = 0;
let packages = 0;
for (const group of ["packages", "apps"]) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  for (const name of readdirSync(base)) {
    const report = join(base, name, "test-results", "vitest.json");
    if (!existsSync(report)) continue;
    const json = JSON.parse(readFileSync(report, "utf8"));
    packages += 1;
    passed += json.numPassedTests ?? 0;
    failed += json.numFailedTests ?? 0;
    skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  }
}
console.log(`\n${packages} packages tested`);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (failed > 0 || passed === 0) process.exit(1);
