/**
 * A breadth-first directory walk for find and grep. It never follows symlinks (no loops, no
 * escapes: a link is reported as a link), skips entries the path guard refuses (deny globs
 * inside an allowed root), checks the abort signal at every entry, and stops at a visit cap.
 */

import { opendir } from "node:fs/promises";
import { join } from "node:path";
import { throwIfAborted } from "@oxios/core";
import { fsError } from "../errors.ts";
import type { CallPaths } from "../tool.ts";

export type EntryType = "file" | "dir" | "symlink" | "other";

export interface WalkEntry {
  path: string;
  type: EntryType;
}

export interface WalkResult {
  /** Entries were skipped because the visit cap was reached. */
  truncated: boolean;
  /** Entries refused by a denied glob. */
  refused: number;
}

export async function walk(
  root: string,
  options: { paths: CallPaths; signal: AbortSignal; maxVisited: number },
  visit: (entry: WalkEntry) => boolean | undefined,
): Promise<WalkResult> {
  const queue = [root];
  let visited = 0;
  let refused = 0;
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    throwIfAborted(options.signal);
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(dir);
    } catch (error) {
      throw fsError(error, dir);
    }
    for await (const dirent of handle) {
      throwIfAborted(options.signal);
      const path = join(dir, dirent.name);
      if (options.paths.refusal(path) !== undefined) {
        refused++;
        continue;
      }
      if (++visited > options.maxVisited) return { truncated: true, refused };
      const type: EntryType = dirent.isSymbolicLink()
        ? "symlink"
        : dirent.isDirectory()
          ? "dir"
          : dirent.isFile()
            ? "file"
            : "other";
      if (type === "dir") queue.push(path);
      if (visit({ path, type }) === false) return { truncated: true, refused };
    }
  }
  return { truncated: false, refused };
}
