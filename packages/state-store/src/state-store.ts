/**
 * StateStore: human-readable state files at `<root>/<category>/<name>.json|.md`, written
 * durably and atomically, one coalesced writer per key, listed from the directory plus a
 * small metadata index, and handed to a change sink (the git layer's auto-commit) once durable.
 * With a `redactor`, known secrets are replaced in every value before it is encoded, so they
 * reach neither the file nor the git history.
 */

import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type Clock,
  createConsoleLogger,
  KernelError,
  type Logger,
  noRedaction,
  type Redactor,
  systemClock,
} from "@oxios/core";
import {
  DirectorySyncer,
  makeDirectoryDurable,
  removeFileDurable,
  removeTempFiles,
  TEMP_FILE_PATTERN,
  writeFileAtomic,
} from "./atomic-write.ts";
import { CoalescingWriter, type KeyOperation, type StateFormat } from "./coalescing-writer.ts";
import { StateStoreErrorCode } from "./error-codes.ts";
import { type EntryMetadata, MetadataIndex } from "./metadata-index.ts";
import { assertValidCategory, assertValidName } from "./names.ts";
import { type StandardSchemaV1, validateWithSchema } from "./standard-schema.ts";
import { walkFiles } from "./walk-files.ts";

export type { StateFormat } from "./coalescing-writer.ts";

/** Receives the root-relative paths a durable write or delete changed (e.g. `GitLayer.autoCommit`). */
export interface StateChangeSink {
  changed(paths: readonly string[]): void;
}

export interface SessionPruneOptions {
  /** Category holding sessions. Default `sessions`. */
  category?: string;
  /** Sessions not saved for this long are removed. Default 168 h. */
  ttlMs?: number;
  /** At most this many sessions are kept, newest first. Default 100. */
  maxEntries?: number;
}

export interface StateStoreOptions {
  /** Directory holding the state; created if missing. */
  root: string;
  clock?: Clock;
  logger?: Logger;
  /** Told about every path a durable write or delete changed. */
  changeSink?: StateChangeSink;
  /** How often, at most, the metadata index is persisted. Default 1000 ms. */
  indexFlushIntervalMs?: number;
  /** Defaults for `pruneSessions()`. */
  sessions?: SessionPruneOptions;
  /** Applied to every saved value (every string in a JSON value, a Markdown text) before it is written; default `noRedaction`. */
  redactor?: Redactor;
}

export interface SaveOptions {
  /** `json` (default) stores `JSON.stringify(value, null, 2)`; `md` stores a string as-is. */
  format?: StateFormat;
  /** Validated before writing; the schema's output is what gets stored. */
  schema?: StandardSchemaV1;
}

export interface LoadOptions<T = unknown> {
  /** Validated after reading; a mismatch is `STATE_SCHEMA_INVALID`. */
  schema?: StandardSchemaV1<unknown, T>;
}

export interface StateEntry {
  name: string;
  format: StateFormat;
  size: number;
  /** Clock time of the last save through a store, or the file's mtime if the index lacks it. */
  savedAt: number;
}

export interface PruneResult {
  removed: string[];
}

const encoder = new TextEncoder();
const FORMATS: readonly StateFormat[] = ["json", "md"];
const HOUR_MS = 3_600_000;

function otherFormat(format: StateFormat): StateFormat {
  return format === "json" ? "md" : "json";
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export class StateStore {
  readonly root: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #sink: StateChangeSink | undefined;
  readonly #sessions: Required<SessionPruneOptions>;
  readonly #syncer = new DirectorySyncer();
  readonly #index: MetadataIndex;
  readonly #writer: CoalescingWriter;
  readonly #knownDirectories = new Set<string>();
  readonly #redactor: Redactor;
  #closed = false;

  private constructor(options: StateStoreOptions) {
    this.root = resolve(options.root);
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? createConsoleLogger({ level: "warn" })).child({ component: "state-store" });
    this.#sink = options.changeSink;
    this.#redactor = options.redactor ?? noRedaction;
    this.#sessions = {
      category: options.sessions?.category ?? "sessions",
      ttlMs: options.sessions?.ttlMs ?? 168 * HOUR_MS,
      maxEntries: options.sessions?.maxEntries ?? 100,
    };
    assertValidCategory(this.#sessions.category);
    this.#index = new MetadataIndex(
      this.root,
      this.#clock,
      this.#logger,
      this.#syncer,
      options.indexFlushIntervalMs ?? 1000,
    );
    this.#writer = new CoalescingWriter((key, operation) => this.#perform(key, operation));
  }

  /**
   * Creates the root if needed and removes temp files left by a crash.
   *
   * Throws: `STATE_OPEN_FAILED` when the root cannot be created or read (`cause` is the OS error).
   * Abort: takes no signal.
   */
  static async open(options: StateStoreOptions): Promise<StateStore> {
    const store = new StateStore(options);
    try {
      await makeDirectoryDurable(store.root, store.#syncer);
      const removed = await removeTempFiles(store.root, store.#syncer);
      if (removed.length > 0) store.#logger.info("removed leftover temp files", { count: removed.length, removed });
    } catch (error) {
      throw new KernelError(StateStoreErrorCode.openFailed, `cannot open state root ${store.root}: ${String(error)}`, {
        cause: error,
      });
    }
    return store;
  }

  /**
   * Stores `value` under `category/name`. Resolves once a write carrying this value or a
   * newer one for the same key is durable (see the coalescing contract in the README).
   *
   * Throws: `STATE_CLOSED` after `close()`; `STATE_NAME_INVALID` for a bad category or name;
   * `STATE_VALUE_INVALID` for a value with no JSON form (or a Markdown value that is not a
   * string) and `STATE_SCHEMA_INVALID` for one its schema refuses — nothing is written;
   * `STATE_WRITE_FAILED` when the file system refuses the write (`cause` is the OS error).
   * Abort: takes no signal; an accepted save always completes, and `close()` waits for it.
   */
  save(category: string, name: string, value: unknown, options: SaveOptions = {}): Promise<void> {
    try {
      this.#assertOpen();
      assertValidCategory(category);
      assertValidName(name);
    } catch (error) {
      return Promise.reject(error);
    }
    const format = options.format ?? "json";
    const key = `${category}/${name}`;
    const ticket = this.#writer.reserve(key);
    const encode = (checked: unknown): KeyOperation => ({
      kind: "write",
      format,
      bytes: this.#encode(key, format, this.#redactor.redactValue(checked)),
    });
    if (options.schema === undefined) {
      let operation: KeyOperation;
      try {
        operation = encode(value);
      } catch (error) {
        this.#writer.cancel(ticket);
        return Promise.reject(error);
      }
      return this.#writer.submit(ticket, operation);
    }
    // Validation may be async; the ticket taken above keeps this call's place in line.
    return validateWithSchema(options.schema, value, `${key}.${format}`).then(
      (checked) => {
        let operation: KeyOperation;
        try {
          operation = encode(checked);
        } catch (error) {
          this.#writer.cancel(ticket);
          throw error;
        }
        return this.#writer.submit(ticket, operation);
      },
      (error: unknown) => {
        this.#writer.cancel(ticket);
        throw error;
      },
    );
  }

  /**
   * The stored value, or `undefined` if there is none.
   *
   * Throws: `STATE_CLOSED` after `close()`; `STATE_NAME_INVALID`; `STATE_CORRUPT` if the file
   * does not parse; `STATE_SCHEMA_INVALID` when `options.schema` refuses the value;
   * `STATE_READ_FAILED` when the file system refuses the read.
   * Abort: takes no signal; a read changes nothing, so abandoning its promise is safe.
   */
  async load<T = unknown>(category: string, name: string, options: LoadOptions<T> = {}): Promise<T | undefined> {
    this.#assertOpen();
    assertValidCategory(category);
    assertValidName(name);
    const found = await this.#read(category, name);
    if (found === undefined) return undefined;
    const { format, text, path } = found;
    let value: unknown = text;
    if (format === "json") {
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new KernelError(
          StateStoreErrorCode.corrupt,
          `state file ${path} does not parse as JSON: ${String(error)}`,
          {
            cause: error,
            details: { path, category, name },
          },
        );
      }
    }
    if (options.schema !== undefined) return validateWithSchema(options.schema, value, path);
    return value as T;
  }

  /**
   * Removes `category/name` (either format); coalesced and serialized with saves to the key.
   *
   * Throws: `STATE_CLOSED` after `close()`; `STATE_NAME_INVALID`; `STATE_DELETE_FAILED` when
   * the file system refuses it.
   * Abort: takes no signal; an accepted delete always completes, and `close()` waits for it.
   */
  delete(category: string, name: string): Promise<void> {
    try {
      this.#assertOpen();
      assertValidCategory(category);
      assertValidName(name);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = `${category}/${name}`;
    return this.#writer.submit(this.#writer.reserve(key), { kind: "delete" });
  }

  /**
   * Whether `category/name` is stored (either format).
   *
   * Throws: `STATE_CLOSED`, `STATE_NAME_INVALID`, `STATE_READ_FAILED`.
   * Abort: takes no signal; a read changes nothing, so abandoning its promise is safe.
   */
  async exists(category: string, name: string): Promise<boolean> {
    this.#assertOpen();
    assertValidCategory(category);
    assertValidName(name);
    for (const format of FORMATS) {
      try {
        if ((await stat(this.#path(category, name, format))).isFile()) return true;
      } catch (error) {
        if (errnoCode(error) !== "ENOENT" && errnoCode(error) !== "ENOTDIR") {
          throw new KernelError(StateStoreErrorCode.readFailed, `cannot stat ${category}/${name}: ${String(error)}`, {
            cause: error,
          });
        }
      }
    }
    return false;
  }

  /**
   * The entries of `category`, sorted by name: names from a directory listing, metadata
   * from the index (file mtime for entries it lacks). No state file is opened.
   *
   * Throws: `STATE_CLOSED`, `STATE_NAME_INVALID` for a bad category, `STATE_READ_FAILED`.
   * Abort: takes no signal; a read changes nothing, so abandoning its promise is safe.
   */
  async list(category: string): Promise<StateEntry[]> {
    this.#assertOpen();
    assertValidCategory(category);
    const directory = join(this.root, category);
    let files: string[];
    try {
      files = await walkFiles(directory, (_path, name) => name.startsWith("."));
    } catch (error) {
      throw new KernelError(StateStoreErrorCode.readFailed, `cannot list ${category}: ${String(error)}`, {
        cause: error,
      });
    }
    const index = await this.#index.entries(category);
    const entries = new Map<string, StateEntry>();
    for (const file of files) {
      const slash = file.lastIndexOf("/");
      const base = file.slice(slash + 1);
      if (base.startsWith(".") || TEMP_FILE_PATTERN.test(base)) continue;
      const format: StateFormat | undefined = base.endsWith(".json") ? "json" : base.endsWith(".md") ? "md" : undefined;
      if (format === undefined) continue;
      const name = file.slice(0, file.length - format.length - 1);
      const known = index.get(name);
      if (entries.has(name) && known?.format !== format) continue;
      if (known !== undefined && known.format === format) {
        entries.set(name, { name, ...known });
        continue;
      }
      try {
        const info = await stat(join(directory, file));
        entries.set(name, { name, format, size: info.size, savedAt: Math.floor(info.mtimeMs) });
      } catch (error) {
        // Deleted between the listing and the stat: it is simply no longer there.
        if (errnoCode(error) !== "ENOENT") throw KernelError.from(error, StateStoreErrorCode.readFailed);
      }
    }
    return [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Removes sessions older than the TTL, then the oldest beyond the cap. An explicit call
   * (the kernel schedules it); time comes from the store's Clock. A session saved again
   * while pruning runs is kept.
   *
   * Throws: `STATE_CLOSED`, `STATE_NAME_INVALID`, `STATE_READ_FAILED`, `STATE_DELETE_FAILED`.
   * Abort: takes no signal; the deletes it queued complete, and `close()` waits for them.
   */
  async pruneSessions(options: SessionPruneOptions = {}): Promise<PruneResult> {
    this.#assertOpen();
    const category = options.category ?? this.#sessions.category;
    const ttlMs = options.ttlMs ?? this.#sessions.ttlMs;
    const maxEntries = options.maxEntries ?? this.#sessions.maxEntries;
    assertValidCategory(category);
    const now = this.#clock.now();
    const entries = (await this.list(category)).sort((a, b) => b.savedAt - a.savedAt || (a.name < b.name ? -1 : 1));
    const doomed = entries.filter((entry, rank) => entry.savedAt < now - ttlMs || rank >= maxEntries);
    const removed: string[] = [];
    await Promise.all(
      doomed.map((entry) =>
        this.#writer.submit(this.#writer.reserve(`${category}/${entry.name}`), {
          kind: "delete",
          onlyIfSavedAtOrBefore: entry.savedAt,
          onRemoved: () => removed.push(entry.name),
        }),
      ),
    );
    return { removed: removed.sort() };
  }

  /**
   * Waits until every accepted write is durable and the metadata index is persisted.
   *
   * Throws: nothing: a failed write rejects its own `save` or `delete`, and an index that
   * cannot be persisted is logged and retried on the next change.
   * Abort: takes no signal.
   */
  async flush(): Promise<void> {
    await this.#writer.idle();
    await this.#index.flush();
  }

  /**
   * Flushes, then refuses further calls with `STATE_CLOSED`. Idempotent.
   *
   * Throws: nothing (see `flush`). Abort: takes no signal.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
  }

  #assertOpen(): void {
    if (this.#closed) throw new KernelError(StateStoreErrorCode.closed, `state store at ${this.root} is closed`);
  }

  #path(category: string, name: string, format: StateFormat): string {
    return join(this.root, category, `${name}.${format}`);
  }

  #encode(key: string, format: StateFormat, value: unknown): Uint8Array {
    if (format === "md") {
      if (typeof value !== "string") {
        throw new KernelError(StateStoreErrorCode.valueInvalid, `${key}: a Markdown value must be a string`, {
          details: { key, type: typeof value },
        });
      }
      return encoder.encode(value);
    }
    let text: string | undefined;
    try {
      text = JSON.stringify(value, null, 2);
    } catch (error) {
      throw new KernelError(
        StateStoreErrorCode.valueInvalid,
        `${key}: value cannot be serialized as JSON: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    if (text === undefined) {
      throw new KernelError(StateStoreErrorCode.valueInvalid, `${key}: value has no JSON form (${typeof value})`);
    }
    return encoder.encode(`${text}\n`);
  }

  async #read(
    category: string,
    name: string,
  ): Promise<{ format: StateFormat; text: string; path: string } | undefined> {
    const known = (await this.#index.entries(category)).get(name)?.format;
    const order = known === undefined ? FORMATS : [known, otherFormat(known)];
    for (const format of order) {
      const path = this.#path(category, name, format);
      try {
        return { format, text: await readFile(path, "utf8"), path };
      } catch (error) {
        const code = errnoCode(error);
        if (code === "ENOENT" || code === "ENOTDIR") continue;
        throw new KernelError(StateStoreErrorCode.readFailed, `cannot read state file ${path}: ${String(error)}`, {
          cause: error,
          details: { path },
        });
      }
    }
    return undefined;
  }

  async #perform(key: string, operation: KeyOperation): Promise<void> {
    const slash = key.indexOf("/");
    const category = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const changed: string[] = [];
    try {
      if (operation.kind === "write") {
        await this.#write(category, name, operation.format, operation.bytes);
        changed.push(`${key}.${operation.format}`);
        const stale = this.#path(category, name, otherFormat(operation.format));
        const known = (await this.#index.entries(category)).get(name)?.format;
        if (known !== operation.format && (await removeFileDurable(stale, this.#syncer))) {
          changed.push(`${key}.${otherFormat(operation.format)}`);
        }
        await this.#index.record(category, name, {
          format: operation.format,
          size: operation.bytes.length,
          savedAt: this.#clock.now(),
        } satisfies EntryMetadata);
      } else {
        if (operation.onlyIfSavedAtOrBefore !== undefined) {
          const savedAt = await this.#savedAt(category, name);
          if (savedAt === undefined || savedAt > operation.onlyIfSavedAtOrBefore) return;
        }
        for (const format of FORMATS) {
          if (await removeFileDurable(this.#path(category, name, format), this.#syncer)) {
            changed.push(`${key}.${format}`);
          }
        }
        await this.#index.remove(category, name);
        if (changed.length > 0) operation.onRemoved?.();
      }
    } catch (error) {
      if (KernelError.isInstance(error)) throw error;
      const what = operation.kind === "write" ? "write" : "delete";
      throw new KernelError(
        what === "write" ? StateStoreErrorCode.writeFailed : StateStoreErrorCode.deleteFailed,
        `${what} of ${key} failed: ${String(error)}`,
        { cause: error, details: { key, errno: errnoCode(error) } },
      );
    } finally {
      if (changed.length > 0) this.#sink?.changed(changed);
    }
  }

  /** When `category/name` was last saved: the index's time, else the file's mtime. */
  async #savedAt(category: string, name: string): Promise<number | undefined> {
    const known = (await this.#index.entries(category)).get(name);
    if (known !== undefined) return known.savedAt;
    for (const format of FORMATS) {
      try {
        return Math.floor((await stat(this.#path(category, name, format))).mtimeMs);
      } catch (error) {
        if (errnoCode(error) !== "ENOENT") throw error;
      }
    }
    return undefined;
  }

  async #write(category: string, name: string, format: StateFormat, bytes: Uint8Array): Promise<void> {
    const target = this.#path(category, name, format);
    const directory = target.slice(0, target.lastIndexOf("/"));
    if (!this.#knownDirectories.has(directory)) {
      await makeDirectoryDurable(directory, this.#syncer);
      this.#knownDirectories.add(directory);
    }
    try {
      await writeFileAtomic(target, bytes, this.#syncer, this.#logger);
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw error;
      // The directory vanished under us (removed by hand): recreate it once and retry.
      this.#knownDirectories.delete(directory);
      await makeDirectoryDurable(directory, this.#syncer);
      this.#knownDirectories.add(directory);
      await writeFileAtomic(target, bytes, this.#syncer, this.#logger);
    }
  }
}
