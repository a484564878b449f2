/**
 * The git layer's staging fast path: blobs are hashed with node:crypto and deflated with
 * node:zlib (the same loose-object format git writes), and every index change of one commit
 * is applied inside a single `GitIndexManager.acquire` of isomorphic-git, so the index is
 * read and written once per commit rather than once per file. isomorphic-git is loaded at the
 * first `stage` (`git-library.ts`).
 *
 * Each file is `lstat`ed before it is read: if it changes in between, the index holds the
 * old stat with the new content's id, and git re-hashes it (stat mismatch) instead of
 * wrongly calling it clean.
 */

import { createHash, randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { lstat, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import type { Logger } from "@oxios/core";
import { loadGitLibrary } from "./git-library.ts";

/** Writes loose blob objects, skipping ones that exist. */
export class LooseObjectWriter {
  readonly #gitdir: string;
  readonly #logger: Logger;
  readonly #knownFanout = new Set<string>();

  constructor(gitdir: string, logger: Logger) {
    this.#gitdir = gitdir;
    this.#logger = logger;
  }

  /** Stores `content` as a blob and returns its object id. */
  async writeBlob(content: Uint8Array): Promise<string> {
    const header = Buffer.from(`blob ${content.length}\0`);
    const wrapped = Buffer.concat([header, content]);
    const oid = createHash("sha1").update(wrapped).digest("hex");
    const fanout = join(this.#gitdir, "objects", oid.slice(0, 2));
    const target = join(fanout, oid.slice(2));
    if (this.#knownFanout.has(fanout)) {
      if (await exists(target)) return oid;
    } else {
      await mkdir(fanout, { recursive: true });
      this.#knownFanout.add(fanout);
      if (await exists(target)) return oid;
    }
    // Temp name + rename, as git does, so a crash never leaves a torn object under its id.
    const temporary = join(fanout, `tmp_obj_${randomBytes(8).toString("hex")}`);
    const handle = await open(temporary, "wx", 0o444);
    try {
      await handle.writeFile(deflateSync(wrapped));
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, target);
    } catch (error) {
      try {
        await unlink(temporary);
      } catch (cleanup) {
        this.#logger.warn("could not remove a temp object after a failed rename", { path: temporary, error: cleanup });
      }
      throw error;
    }
    return oid;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

export interface StagePlan {
  /** Files to add or update in the index (root-relative, `/`-separated). */
  files: string[];
  /** Index paths, or directory prefixes ending in `/`, to remove if their file is gone. */
  removals: string[];
}

export interface StageOutcome {
  /** True if any index entry was added, changed or removed. */
  changed: boolean;
  staged: string[];
  removed: string[];
}

interface IndexEntry {
  path: string;
  oid: string;
}

interface GitIndexLike {
  entries: IndexEntry[];
  entriesMap: Map<string, IndexEntry>;
  insert(entry: { filepath: string; stats: unknown; oid: string }): void;
  delete(entry: { filepath: string }): void;
}

const STAGE_CONCURRENCY = 16;

/** Applies `plan` to the index of the repository at `dir` in one index transaction. */
export async function stage(
  dir: string,
  gitdir: string,
  writer: LooseObjectWriter,
  plan: StagePlan,
): Promise<StageOutcome> {
  const outcome: StageOutcome = { changed: false, staged: [], removed: [] };
  const { GitIndexManager, GitIgnoreManager, fileSystem } = await loadGitLibrary();
  await GitIndexManager.acquire({ fs: fileSystem, gitdir, cache: {} }, async (raw: unknown) => {
    const index = raw as GitIndexLike;
    const files = [...new Set(plan.files)];
    const untracked = files.filter((file) => !index.entriesMap.has(file));
    const ignored = new Set<string>();
    for (const file of untracked) {
      if (await GitIgnoreManager.isIgnored({ fs: fileSystem, dir, gitdir, filepath: file })) ignored.add(file);
    }
    const results: Array<{ file: string; stats: Stats; oid: string } | { file: string; gone: true }> = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const file = files[next++] as string;
        if (ignored.has(file)) continue;
        const path = join(dir, file);
        let stats: Stats;
        let content: Buffer;
        try {
          stats = await lstat(path);
          if (!stats.isFile()) continue;
          content = await readFile(path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
          results.push({ file, gone: true });
          continue;
        }
        results.push({ file, stats, oid: await writer.writeBlob(content) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(STAGE_CONCURRENCY, files.length) }, worker));
    for (const result of results) {
      const previous = index.entriesMap.get(result.file);
      if ("gone" in result) {
        if (previous !== undefined) {
          index.delete({ filepath: result.file });
          outcome.removed.push(result.file);
          outcome.changed = true;
        }
        continue;
      }
      index.insert({ filepath: result.file, stats: result.stats, oid: result.oid });
      outcome.staged.push(result.file);
      if (previous?.oid !== result.oid) outcome.changed = true;
    }
    for (const removal of plan.removals) {
      const matches = removal.endsWith("/")
        ? index.entries.filter((entry) => entry.path.startsWith(removal)).map((entry) => entry.path)
        : index.entriesMap.has(removal)
          ? [removal]
          : [];
      for (const path of matches) {
        if (await exists(join(dir, path))) continue;
        index.delete({ filepath: path });
        outcome.removed.push(path);
        outcome.changed = true;
      }
    }
  });
  return outcome;
}
