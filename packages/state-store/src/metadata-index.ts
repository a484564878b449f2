/**
 * The small metadata index behind `list()` and session pruning: per category, each name's
 * format, byte size and the Clock time of its last save. It lives in
 * `<root>/.state-index/<category>.json` (git-ignored).
 *
 * It is a cache, not the source of truth: the directory listing decides which entries
 * exist, and an entry missing from the index falls back to the file's mtime. So the index
 * is persisted off the write path, at most once per `flushIntervalMs` on the injected Clock
 * (and on `flush()`/`close()`), and a lost or unreadable index only costs precision.
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock, Logger, Timer } from "@oxios/core";
import { type DirectorySyncer, makeDirectoryDurable, writeFileAtomic } from "./atomic-write.ts";
import type { StateFormat } from "./coalescing-writer.ts";

export interface EntryMetadata {
  format: StateFormat;
  size: number;
  /** Clock time (Unix ms) of the last save through this store. */
  savedAt: number;
}

export const INDEX_DIRECTORY = ".state-index";

interface IndexFile {
  version: 1;
  entries: Record<string, EntryMetadata>;
}

function isMetadata(value: unknown): value is EntryMetadata {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    (entry.format === "json" || entry.format === "md") &&
    typeof entry.size === "number" &&
    typeof entry.savedAt === "number"
  );
}

export class MetadataIndex {
  readonly #directory: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #syncer: DirectorySyncer;
  readonly #intervalMs: number;
  readonly #categories = new Map<string, Promise<Map<string, EntryMetadata>>>();
  readonly #dirty = new Set<string>();
  #timer: Timer | undefined;
  #persisting: Promise<void> = Promise.resolve();

  constructor(root: string, clock: Clock, logger: Logger, syncer: DirectorySyncer, intervalMs: number) {
    this.#directory = join(root, INDEX_DIRECTORY);
    this.#clock = clock;
    this.#logger = logger;
    this.#syncer = syncer;
    this.#intervalMs = intervalMs;
  }

  /** The entries recorded for `category` (loaded from disk on first use). */
  entries(category: string): Promise<Map<string, EntryMetadata>> {
    let loaded = this.#categories.get(category);
    if (loaded === undefined) {
      loaded = this.#load(category);
      this.#categories.set(category, loaded);
    }
    return loaded;
  }

  async record(category: string, name: string, metadata: EntryMetadata): Promise<void> {
    (await this.entries(category)).set(name, metadata);
    this.#markDirty(category);
  }

  async remove(category: string, name: string): Promise<void> {
    if ((await this.entries(category)).delete(name)) this.#markDirty(category);
  }

  /** Writes every changed category now and waits for it; also joins a persist already running. */
  async flush(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#startPersist();
  }

  async #load(category: string): Promise<Map<string, EntryMetadata>> {
    const path = join(this.#directory, `${category}.json`);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
      this.#logger.warn("state index unreadable; listing falls back to file times", { path, error });
      return new Map();
    }
    try {
      const parsed = JSON.parse(text) as IndexFile;
      const entries = new Map<string, EntryMetadata>();
      for (const [name, metadata] of Object.entries(parsed.entries ?? {})) {
        if (isMetadata(metadata)) entries.set(name, metadata);
      }
      return entries;
    } catch (error) {
      // The index is a cache: a torn or edited one is rebuilt from later saves, never fatal.
      this.#logger.warn("state index does not parse; starting it afresh", { path, error });
      return new Map();
    }
  }

  #markDirty(category: string): void {
    this.#dirty.add(category);
    if (this.#timer === undefined) {
      this.#timer = this.#clock.setTimer(() => {
        this.#timer = undefined;
        // Owned: kept in #persisting, joined by flush(); failures are logged inside.
        void this.#startPersist();
      }, this.#intervalMs);
    }
  }

  #startPersist(): Promise<void> {
    this.#persisting = this.#persisting.then(() => this.#persistDirty());
    return this.#persisting;
  }

  async #persistDirty(): Promise<void> {
    const categories = [...this.#dirty];
    this.#dirty.clear();
    for (const category of categories) {
      const entries = await this.entries(category);
      const file: IndexFile = {
        version: 1,
        entries: Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : 1))),
      };
      const path = join(this.#directory, `${category}.json`);
      try {
        await makeDirectoryDurable(this.#directory, this.#syncer);
        await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(file)}\n`), this.#syncer, this.#logger);
      } catch (error) {
        // Not fatal (see the module comment), but never silent: log it and retry on the next change.
        this.#dirty.add(category);
        this.#logger.error("could not persist the state index; will retry on the next change", { path, error });
      }
    }
  }
}
