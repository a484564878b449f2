/**
 * Durable atomic file replacement, and removal of the temp files a crash leaves behind.
 *
 * Steps of `writeFileAtomic(target, bytes)`:
 *   1. create `<target>.<16 random hex>.tmp` in the target's directory (`wx`: never reuse a name),
 *   2. write the bytes, 3. fsync the temp file, 4. close it,
 *   5. rename it over the target (atomic on POSIX: readers see the old or the new file),
 *   6. fsync the directory so the rename itself survives a power loss.
 * On any failure the temp file is removed and the target is untouched.
 *
 * Directory fsyncs are grouped: one fsync of a directory covers every rename in it that
 * finished before the fsync started, so concurrent writers in one directory share it.
 */

import { randomBytes } from "node:crypto";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "@oxios/core";
import { walkFiles } from "./walk-files.ts";

/** Matches the temp files this module creates. */
export const TEMP_FILE_PATTERN = /\.[0-9a-f]{16}\.tmp$/;

function tempPath(target: string): string {
  return `${target}.${randomBytes(8).toString("hex")}.tmp`;
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Groups fsyncs per directory. `sync(dir)` resolves once an fsync of `dir` that started
 * after the call has completed; calls arriving while one runs share the next one.
 */
export class DirectorySyncer {
  readonly #states = new Map<string, { running: Promise<void>; next: Promise<void> | undefined }>();

  sync(directory: string): Promise<void> {
    const state = this.#states.get(directory);
    if (state === undefined) {
      const running = this.#run(directory);
      this.#states.set(directory, { running, next: undefined });
      return running;
    }
    if (state.next === undefined) {
      // One is running and may have started before our rename: queue exactly one follow-up.
      state.next = state.running.then(
        () => this.#startNext(directory),
        () => this.#startNext(directory),
      );
    }
    return state.next;
  }

  #startNext(directory: string): Promise<void> {
    const state = this.#states.get(directory);
    const running = this.#run(directory);
    if (state !== undefined) {
      state.running = running;
      state.next = undefined;
    }
    return running;
  }

  async #run(directory: string): Promise<void> {
    try {
      await fsyncPath(directory);
    } finally {
      const state = this.#states.get(directory);
      if (state !== undefined && state.next === undefined) this.#states.delete(directory);
    }
  }
}

/** Creates `directory` (and parents) and fsyncs the parent of every directory it created. */
export async function makeDirectoryDurable(directory: string, syncer: DirectorySyncer): Promise<void> {
  const first = await mkdir(directory, { recursive: true });
  if (first === undefined) return;
  // `first` is the outermost directory created; fsync it, every created child, and its parent.
  const created: string[] = [];
  for (let current = directory; current.length >= first.length; current = dirname(current)) {
    created.push(current);
    if (current === first) break;
  }
  for (const path of created) await syncer.sync(path);
  await syncer.sync(dirname(first));
}

/** Writes `bytes` to `target` durably and atomically (see the module comment). */
export async function writeFileAtomic(
  target: string,
  bytes: Uint8Array,
  syncer: DirectorySyncer,
  logger: Logger,
): Promise<void> {
  const temporary = tempPath(target);
  let created = false;
  try {
    const handle = await open(temporary, "wx", 0o644);
    created = true;
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
    created = false;
  } catch (error) {
    if (created) await removeQuietly(temporary, logger, "temp file of a failed write");
    throw error;
  }
  await syncer.sync(dirname(target));
}

/** Removes a file and durably records the removal; a missing file is not an error. */
export async function removeFileDurable(target: string, syncer: DirectorySyncer): Promise<boolean> {
  try {
    await unlink(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  await syncer.sync(dirname(target));
  return true;
}

async function removeQuietly(path: string, logger: Logger, what: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    // The write has already failed and that error is what the caller sees; a leftover temp
    // file is harmless and is removed at the next open.
    logger.warn("could not remove temp file; it will be removed at the next open", { path, what, error });
  }
}

/**
 * Removes every leftover temp file under `root` (skipping `.git`), returning their paths
 * relative to `root`. Called at open, before any write can be in flight.
 */
export async function removeTempFiles(root: string, syncer: DirectorySyncer): Promise<string[]> {
  const files = await walkFiles(root, (path) => path === ".git");
  const removed: string[] = [];
  for (const file of files) {
    const name = file.slice(file.lastIndexOf("/") + 1);
    if (!TEMP_FILE_PATTERN.test(name)) continue;
    if (await removeFileDurable(join(root, file), syncer)) removed.push(file);
  }
  return removed;
}
