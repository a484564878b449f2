/**
 * A breadth-first directory walk for find and grep. It never follows symlinks (no loops, no
 * escapes: a link is reported as a link), opens each directory and checks what it opened
 * before listing it (a directory swapped for a link since it was listed is skipped as refused,
 * see `verified-open.ts`), skips entries the path guard refuses (deny globs inside an allowed
 * root), checks the abort signal at every entry, and stops at a visit cap.
 */

import { opendir } from "node:fs/promises";
import { join } from "node:path";
import { KernelError, throwIfAborted } from "@oxios/core";
import { ToolErrorCode } from "../error-codes.ts";
import { fsError } from "../errors.ts";
import type { CallPaths } from "../tool.ts";
import { type OpenedEntry, openVerified, pathIn } from "./verified-open.ts";

export type EntryType = "file" | "dir" | "symlink" | "other";

export interface WalkEntry {
  path: string;
  type: EntryType;
}

export interface WalkResult {
  /** Entries were skipped because the visit cap was reached. */
  truncated: boolean;
  /** Entries refused by a denied glob (or changed into something the walk may not enter). */
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
    let opened: OpenedEntry;
    try {
      opened = await openVerified(dir, "directory", options.paths);
    } catch (error) {
      if (dir !== root && KernelError.hasCode(error, ToolErrorCode.pathDenied)) {
        refused++;
        continue;
      }
      throw error;
    }
    try {
      if (opened.realPath !== dir) {
        // Swapped for a link to another allowed directory since it was listed: not this one.
        refused++;
        continue;
      }
      const handle = await opendir(pathIn(opened, "."));
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
    } catch (error) {
      throw fsError(error, dir);
    } finally {
      await opened.handle.close();
    }
  }
  return { truncated: false, refused };
}
