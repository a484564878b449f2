#!/usr/bin/env node
// Entry point of the `oxios` command: runs the TypeScript sources through tsx.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const result = spawnSync(
  process.execPath,
  ["--conditions=@oxios/source", "--import", "tsx", main, ...process.argv.slice(2)],
  {
    stdio: "inherit",
  },
);
process.exit(result.status ?? 1);
