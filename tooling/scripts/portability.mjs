#!/usr/bin/env node
// Runs the test files of every package marked portable (`"oxios": { "portable": true }` in its
// package.json) under Bun and Deno, with the same vitest config and files as on Node.
// Usage: node tooling/scripts/portability.mjs [bun|deno ...] [--filter <package-dir-name>]
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { runtimeBinary } from "./runtime-binaries.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const args = process.argv.slice(2);
const filterIndex = args.indexOf("--filter");
const filter = filterIndex === -1 ? undefined : args[filterIndex + 1];
const runtimes = args.filter((arg, index) => !arg.startsWith("--") && index !== filterIndex + 1);
const selected = runtimes.length > 0 ? runtimes : ["bun", "deno"];

const vitest = realpathSync(join(root, "node_modules", "vitest", "vitest.mjs"));
const commands = {
  bun: (cwd) => [runtimeBinary("bun"), ["--bun", vitest, "run"], cwd],
  deno: (cwd) => [runtimeBinary("deno"), ["run", "-A", vitest, "run"], cwd],
};

const packages = readdirSync(join(root, "packages"))
  .map((name) => join(root, "packages", name))
  .filter((dir) => existsSync(join(dir, "package.json")))
  .filter((dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).oxios?.portable === true)
  .filter((dir) => filter === undefined || dir.endsWith(`/${filter}`));

const failures = [];
for (const dir of packages) {
  for (const runtime of selected) {
    const command = commands[runtime];
    if (command === undefined) throw new Error(`unknown runtime ${runtime}; expected bun or deno`);
    const [binary, argv, cwd] = command(dir);
    console.log(`\n=== ${runtime}: ${dir.slice(root.length + 1)}`);
    const result = spawnSync(binary, argv, {
      cwd,
      stdio: "inherit",
      env: { ...process.env, OXIOS_EXPECT_RUNTIME: runtime, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    });
    if (result.status !== 0)
      failures.push(`${runtime}: ${dir.slice(root.length + 1)} (exit ${result.status ?? result.signal})`);
  }
}
if (packages.length === 0) {
  console.error("no portable packages found");
  process.exit(1);
}
if (failures.length > 0) {
  console.error(`\nportability run failed:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log(`\nportability run passed: ${packages.length} package(s) × ${selected.join(", ")}`);
