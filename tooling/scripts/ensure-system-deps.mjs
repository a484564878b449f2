#!/usr/bin/env node
// Installs the system programs the test suite drives for real, when they are missing:
// git (state-store checks its repositories with `git fsck`), Chromium (the browser tool) and
// bubblewrap (the OS sandbox every exec runs in). They come from Debian's packages; everything
// else comes from npm through pnpm.
import { execFileSync, spawnSync } from "node:child_process";

const needed = [
  { command: "git", debianPackage: "git" },
  { command: "chromium", debianPackage: "chromium" },
  { command: "bwrap", debianPackage: "bubblewrap" },
];
const has = (command) => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
const missing = needed.filter((entry) => !has(entry.command));
if (missing.length === 0) process.exit(0);

const packages = missing.map((entry) => entry.debianPackage);
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (!isRoot || !has("apt-get")) {
  console.error(
    `missing system programs: ${packages.join(", ")}. Install them (e.g. sudo apt-get install -y ${packages.join(" ")}) and run the tests again.`,
  );
  process.exit(1);
}
console.log(`installing system programs for the tests: ${packages.join(", ")}`);
execFileSync("apt-get", ["update"], { stdio: "inherit" });
execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...packages], {
  stdio: "inherit",
  env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
});
