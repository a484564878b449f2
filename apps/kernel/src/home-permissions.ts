/**
 * `$OXIOS_HOME` belongs to the kernel's user alone. The kernel process runs with umask 077,
 * so everything it creates (the home 0700, `oxios.db` and its `-wal`/`-shm`, `state/` and its
 * git repository, agent workspaces) is 0600/0700. A home an older version created with
 * group or world bits (0755 directories, 0644 files) is tightened once at boot: every entry
 * under it loses its group and other bits, and one warning says how many were changed.
 * Symbolic links are not followed (their targets are not the kernel's to change).
 */

import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "@oxios/core";

/** The umask of the kernel process: nothing it creates is readable by group or others. */
export const KERNEL_UMASK = 0o077;

/** Sets the process umask to `KERNEL_UMASK`; returns the previous one. */
export function restrictUmask(): number {
  return process.umask(KERNEL_UMASK);
}

function openBits(mode: number): number {
  return mode & 0o077;
}

/** Clears group and other bits of `path` and everything under it, adding each changed path to `changed`. */
function tightenTree(path: string, changed: string[]): void {
  const info = lstatSync(path);
  if (info.isSymbolicLink()) return;
  if (openBits(info.mode) !== 0) {
    chmodSync(path, info.mode & 0o700);
    changed.push(path);
  }
  if (!info.isDirectory()) return;
  for (const name of readdirSync(path)) tightenTree(join(path, name), changed);
}

/**
 * Creates the home (0700) when missing; when it exists with group or other bits, tightens it
 * and everything under it, logging one warning. Returns the paths whose mode changed.
 */
export function secureHome(home: string, logger: Logger): string[] {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  // The home itself may be a symbolic link to where the data lives: follow that one.
  const mode = statSync(home).mode;
  if (openBits(mode) === 0) return [];
  chmodSync(home, mode & 0o700);
  const changed: string[] = [home];
  for (const name of readdirSync(home)) tightenTree(join(home, name), changed);
  logger.warn("tightened permissions in the Oxios home: it was readable by other users", {
    home,
    changed: changed.length,
    mode: "directories 0700, files 0600 (group and other bits removed)",
  });
  return changed;
}
