/**
 * MemoryStore: persistent agent memory on one libsql file. Memories are typed, tiered and
 * protected; they are found by meaning (sqlite-vec) and by words (FTS5 BM25), fused by
 * reciprocal rank fusion with every filter inside both candidate queries. Writes from
 * `remember` go through a bounded group-commit queue that `flush()` and `close()` drain.
 * A row that cannot be decoded is skipped with a warning naming it and counted in
 * `stats().corruptRows`. Background work (re-embedding, scheduled dreams) is owned by the
 * store and joined by `close()`.
 */

import { createHash } from "node:crypto";
import {
  type Clock,
  createConsoleLogger,
  KernelError,
  type Logger,
  newId,
  noRedaction,
  type Redactor,
  systemClock,
  throwIfAborted,
} from "@oxios/core";
import { acquireDatabase, type Database, type DatabaseSource, migrate, retryServedTransaction } from "@oxios/database";
import { createEvent, type EventPublisher, type KernelEventPayloads, type KernelEventType } from "@oxios/event-bus";
import { type DreamReport, runDream } from "./dream.ts";
import { type DreamSchedule, type DreamScheduleOptions, DreamScheduler } from "./dream-scheduler.ts";
import type { Embedder } from "./embedder.ts";
import { type CachedVectors, cachedEmbeddingCount, EmbeddingCache } from "./embedding-cache.ts";
import { MemoryErrorCode } from "./error-codes.ts";
import { compileFilter, type MemoryFilter } from "./filters.ts";
import { matchAny, queryTerms, termsWithinBudget } from "./internal/fts-query.ts";
import { reciprocalRankFusion } from "./internal/rank-fusion.ts";
import { DEFAULT_TIER_CAPS, MEMORY_TIERS, MEMORY_TYPES, type MemoryTier, type TierCaps } from "./lifecycle.ts";
import { MAX_QUERY_LENGTH } from "./limits.ts";
import {
  decodeRow,
  MEMORY_COLUMNS,
  type MemoryEntry,
  type MemoryPatch,
  type MemoryRow,
  type RememberInput,
  validateContent,
  validateImportance,
  validateMetadata,
  validateOptionalId,
  validateProtection,
  validateSummary,
  validateTags,
  validateTier,
  validateType,
} from "./memory-entry.ts";
import { recallQuery } from "./recall-query.ts";
import { markVectorsIncomplete, Reembed } from "./reembed.ts";
import { MEMORY_MIGRATIONS, readMeta, SCHEMA_VERSION, writeMeta } from "./schema.ts";
import type { Sql } from "./sql.ts";
import { enforceTierCaps } from "./tier-caps.ts";
import { UniversalSentenceEncoderEmbedder } from "./universal-sentence-encoder.ts";
import { loadSqliteVec, loadVectorSupport, type VectorExtensionLoader } from "./vector-extension.ts";
import { type SqlFilter, VectorIndex } from "./vector-index.ts";
import { WriteQueue } from "./write-queue.ts";

/** Where the store keeps its memories: a URL it opens (and closes), or a shared `database`. */
export type MemoryStoreOptions = DatabaseSource & MemoryStoreSettings;

export interface MemoryStoreSettings {
  /** Defaults to Universal Sentence Encoder lite (512-d, offline). */
  embedder?: Embedder;
  /** Run without vectors at all (no sqlite-vec, no embedder); visible in `stats()` and `health()`. */
  keywordOnly?: boolean;
  clock?: Clock;
  logger?: Logger;
  events?: EventPublisher;
  tierCaps?: TierCaps;
  /** Bounded write queue: `capacity` queued remembers before callers wait; `maxBatch` per commit. */
  writeQueue?: { capacity?: number; maxBatch?: number };
  /** How long a call waits for the embedder (including a model still loading). Default 60 s. */
  embedTimeoutMs?: number;
  /**
   * Most rows a keyword query may match: past it, the query's most common words are left out of
   * the match, rarest kept first (see `search`). Bounds the keyword stage's work on a large
   * store at a cost in how closely its ranking follows BM25 over every word. Default: no budget.
   */
  keywordRowBudget?: number;
  /** Cosine distance under which a new memory counts as a near-duplicate. Default 0.05. */
  nearDuplicateDistance?: number;
  /** Most embedding-cache entries kept (oldest-used pruned by dreams). Default 50,000. */
  embeddingCacheSize?: number;
  /** Loads sqlite-vec into the connection; tests replace it to simulate a load failure. */
  loadVectorExtension?: VectorExtensionLoader;
  /**
   * Applied to content, summary, tags and metadata before `remember`, `importEntries` and
   * `update` store them, so a known secret never reaches the file; default `noRedaction`.
   */
  redactor?: Redactor;
}

export type SearchMode = "hybrid" | "vector" | "keyword";

export interface SearchOptions extends MemoryFilter {
  /** 1–100, default 10. */
  limit?: number;
  mode?: SearchMode;
  signal?: AbortSignal;
}

export interface SearchHit {
  entry: MemoryEntry;
  /** Fused RRF score (hybrid), or the single list's RRF contribution. */
  score: number;
  vectorRank: number | undefined;
  keywordRank: number | undefined;
  /** Exact cosine distance to the query, when the memory came from the vector list. */
  distance: number | undefined;
}

export interface ListOptions extends MemoryFilter {
  /** 1–1,000, default 100. */
  limit?: number;
  offset?: number;
  order?: "newest" | "oldest";
}

export interface RecallContext {
  /** Any length: the search uses `recallQuery(query)` (its first 4,096 characters, cut at a word). */
  query?: string;
  sessionId?: string;
  spaceId?: string;
  /** At most 10 (the default). */
  limit?: number;
  signal?: AbortSignal;
}

export interface MemoryStats {
  memories: number;
  byTier: Record<MemoryTier, number>;
  byType: Record<string, number>;
  vectors: number;
  mode: "hybrid" | "keyword-only";
  vectorStatus: { enabled: boolean; reason?: string; model?: string; dimensions?: number };
  corruptRows: number;
  /** Remembers not yet committed (queued, waiting for room, or in the batch being committed). */
  pendingWrites: number;
  /** Callers waiting for room in the full write queue. */
  blockedWriters: number;
  reembed: { running: boolean; done: number; total: number; error?: string };
  schemaVersion: number;
  embeddingCacheEntries: number;
}

export interface MemoryHealth {
  status: "ok" | "degraded";
  reasons: string[];
}

export interface ImportResult {
  imported: number;
  duplicates: number;
}

interface ValidatedInput {
  content: string;
  hash: string;
  type: RememberInput["type"];
  summary: string | undefined;
  tier: MemoryTier;
  protection: NonNullable<RememberInput["protection"]>;
  tags: string[];
  spaceId: string | undefined;
  sessionId: string | undefined;
  source: string | undefined;
  importance: number;
  pinned: boolean;
  metadata: Record<string, unknown>;
}

const SOURCE = "memory";

/** The normalised-content hash used for exact dedup and the embedding cache. */
export function contentHash(content: string): string {
  return createHash("sha256").update(content.trim().replace(/\s+/g, " ").toLowerCase()).digest("hex");
}

function invalid(message: string): KernelError {
  return new KernelError(MemoryErrorCode.filterInvalid, message);
}

function boundedInteger(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Persistent agent memory: see the module comment. Each public method's comment says how it
 * fails ("Throws:") and what a cancellation does to it ("Abort:"); the reads `get`, `list`,
 * `stats` and `dreamReports` throw `MEMORY_CLOSED` once the store is closing and
 * `MEMORY_FILTER_INVALID` for bad options, and take no signal.
 */
export class MemoryStore {
  readonly #sql: Sql;
  readonly #release: () => void;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: EventPublisher | undefined;
  readonly #embeddings: EmbeddingCache | undefined;
  readonly #index: VectorIndex | undefined;
  readonly #vectorReason: string | undefined;
  readonly #caps: TierCaps;
  readonly #nearDuplicate: number;
  readonly #keywordRowBudget: number | undefined;
  readonly #cacheSize: number;
  readonly #redactor: Redactor;
  readonly #queue: WriteQueue<ValidatedInput, MemoryEntry>;
  readonly #corrupt = new Set<string>();
  readonly #reembed: Reembed | undefined;
  readonly #dreamScheduler: DreamScheduler;
  #dreamRunning = false;
  #closing: Promise<void> | undefined;
  #closed = false;

  private constructor(options: MemoryStoreOptions, database: Database, release: () => void) {
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? createConsoleLogger({ level: "warn" })).child({ component: SOURCE });
    this.#events = options.events;
    this.#caps = options.tierCaps ?? DEFAULT_TIER_CAPS;
    this.#nearDuplicate = options.nearDuplicateDistance ?? 0.05;
    const budget = options.keywordRowBudget;
    if (budget !== undefined && !(Number.isSafeInteger(budget) && budget >= 1)) {
      throw new KernelError(MemoryErrorCode.configInvalid, "keywordRowBudget must be an integer ≥ 1", {
        details: { keywordRowBudget: budget },
      });
    }
    this.#keywordRowBudget = budget;
    this.#cacheSize = options.embeddingCacheSize ?? 50_000;
    this.#redactor = options.redactor ?? noRedaction;
    this.#sql = database;
    this.#release = release;
    const vectors = loadVectorSupport(database, {
      keywordOnly: options.keywordOnly === true,
      loadExtension: options.loadVectorExtension ?? loadSqliteVec,
    });
    migrate(this.#sql, MEMORY_MIGRATIONS, { logger: this.#logger });
    if (this.#keywordRowBudget !== undefined) {
      // Each term's document frequency, read from the FTS index itself (one doclist per term).
      this.#sql.exec(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_fts_vocab USING fts5vocab(main, memories_fts, row)",
      );
    }
    if (vectors.enabled) {
      const embedder = options.embedder ?? new UniversalSentenceEncoderEmbedder();
      // A body of database work only: on sqld it runs again if the server ended it uncommitted.
      const index = retryServedTransaction(this.#sql, () => this.#prepareVectors(embedder), {
        what: "loading the vector index",
        logger: this.#logger,
      });
      const embeddings = new EmbeddingCache({
        sql: this.#sql,
        embedder,
        clock: this.#clock,
        timeoutMs: options.embedTimeoutMs ?? 60_000,
        logger: this.#logger,
      });
      this.#index = index;
      this.#embeddings = embeddings;
      this.#reembed = new Reembed({
        sql: this.#sql,
        index,
        embeddings,
        write: (body) => this.#write(body),
        logger: this.#logger,
        onProgress: (progress) => this.#publish("memory.reembed-progress", progress),
      });
    } else {
      this.#vectorReason = vectors.reason;
      // Vectors written from now on would miss these memories: a later vector-enabled open
      // sees the changed model id and rebuilds every vector.
      if (readMeta(this.#sql, "embedder_id") !== "none") writeMeta(this.#sql, "embedder_id", "none");
    }
    this.#queue = new WriteQueue({
      capacity: options.writeQueue?.capacity ?? 1024,
      maxBatch: options.writeQueue?.maxBatch ?? 256,
      commit: (items) => this.#commitBatch(items),
    });
    this.#dreamScheduler = new DreamScheduler({
      clock: this.#clock,
      logger: this.#logger,
      run: (signal) => this.dream({ signal }),
    });
  }

  /**
   * Opens (creating and migrating if needed) the store on `url` (closed by `close()`) or on a
   * shared `database` (left open); starts a re-embed if the embedder changed.
   *
   * Throws: the `DATABASE_*` codes of `openDatabase` and `migrate`, `MEMORY_VECTOR_UNAVAILABLE`.
   * Abort: takes no signal; `close()` stops the re-embed it started.
   */
  static async open(options: MemoryStoreOptions): Promise<MemoryStore> {
    const { database, release } = await acquireDatabase(
      options,
      options.logger === undefined ? {} : { logger: options.logger },
    );
    let store: MemoryStore;
    try {
      store = new MemoryStore(options, database, release);
    } catch (error) {
      release();
      throw error;
    }
    store.#reembed?.startIfNeeded();
    return store;
  }

  #prepareVectors(embedder: Embedder): VectorIndex {
    const storedModel = readMeta(this.#sql, "embedder_id");
    const storedDimensions = readMeta(this.#sql, "dimensions");
    const index = new VectorIndex(this.#sql, embedder.id, embedder.dimensions, this.#logger);
    if (index.codesRebuilt) markVectorsIncomplete(this.#sql);
    if (storedModel !== embedder.id || storedDimensions !== String(embedder.dimensions)) {
      if (storedModel !== undefined) {
        this.#logger.info("embedder changed; vectors will be rebuilt in the background", {
          from: storedModel,
          to: embedder.id,
        });
      }
      index.clear();
      markVectorsIncomplete(this.#sql);
      writeMeta(this.#sql, "embedder_id", embedder.id);
      writeMeta(this.#sql, "dimensions", String(embedder.dimensions));
    }
    return index;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Stores a memory, or returns the existing one when it duplicates one (same normalised
   * content, or a vector within `nearDuplicateDistance`); a duplicate gains the new tags and
   * space link. Resolves once committed. Waits when the write queue is full.
   *
   * Throws: `MEMORY_CLOSED` once the store is closing; `MEMORY_CONTENT_INVALID`,
   * `MEMORY_TYPE_INVALID` or `MEMORY_FILTER_INVALID` for bad input (nothing is written);
   * `MEMORY_EMBEDDER_TIMEOUT` / `MEMORY_EMBEDDING_FAILED` when the embedder fails; the
   * database's `DATABASE_*` codes when the commit fails.
   * Abort: `signal` is honoured only while the call waits for room in a full write queue
   * (`ABORTED`, nothing written); once queued, the write commits.
   */
  async remember(input: RememberInput, options: { signal?: AbortSignal } = {}): Promise<MemoryEntry> {
    this.#assertOpen();
    return this.#queue.push(this.#validate(this.#redacted(input)), options.signal);
  }

  /**
   * Bulk load (restores, benchmarks): validates everything first, dedups by content hash
   * only, embeds in batches and writes in transactions of 5,000. Publishes no per-memory
   * events and enforces tier caps once at the end.
   *
   * Throws: `MEMORY_CLOSED`; the `remember` input codes for any bad entry (nothing is
   * written); `MEMORY_EMBEDDER_TIMEOUT` / `MEMORY_EMBEDDING_FAILED`; `DATABASE_*` codes.
   * Abort: `options.signal` is checked before each chunk of 5,000 and stops the wait for its
   * embeddings (`ABORTED`); chunks already written stay.
   */
  async importEntries(inputs: readonly RememberInput[], options: { signal?: AbortSignal } = {}): Promise<ImportResult> {
    this.#assertOpen();
    const items = inputs.map((input) => this.#validate(this.#redacted(input)));
    let imported = 0;
    let duplicates = 0;
    for (let start = 0; start < items.length; start += 5_000) {
      throwIfAborted(options.signal);
      const chunk = items.slice(start, start + 5_000);
      const vectors =
        this.#embeddings === undefined
          ? undefined
          : await this.#embeddings.embed(
              chunk.map((item) => item.content),
              options.signal,
            );
      const now = this.#clock.now();
      this.#write(() => {
        const stored = this.#seqsByHash(chunk);
        const unindexed: number[] = [];
        chunk.forEach((item, index) => {
          if (stored.has(item.hash)) {
            duplicates += 1;
            return;
          }
          const { seq } = this.#insert(item, vectors?.[index], now);
          stored.set(item.hash, seq);
          unindexed.push(seq);
          imported += 1;
        });
        this.#indexText(unindexed);
        if (start + 5_000 >= items.length) this.#enforceCaps(now);
      });
    }
    return { imported, duplicates };
  }

  #validate(input: RememberInput): ValidatedInput {
    if (typeof input !== "object" || input === null) throw invalid("remember expects an entry object");
    const content = validateContent(input.content);
    const type = validateType(input.type);
    return {
      content,
      hash: contentHash(content),
      type,
      summary: input.summary === undefined ? undefined : validateSummary(input.summary),
      tier: input.tier === undefined ? "warm" : validateTier(input.tier),
      protection: input.protection === undefined ? "none" : validateProtection(input.protection),
      tags: input.tags === undefined ? [] : validateTags(input.tags),
      spaceId: validateOptionalId(input.spaceId, "spaceId"),
      sessionId: validateOptionalId(input.sessionId, "sessionId"),
      source: validateOptionalId(input.source, "source"),
      importance: input.importance === undefined ? MEMORY_TYPES[type].importance : validateImportance(input.importance),
      pinned: input.pinned === true,
      metadata: input.metadata === undefined ? {} : validateMetadata(input.metadata),
    };
  }

  async #commitBatch(items: ValidatedInput[]): Promise<MemoryEntry[]> {
    const embedded = this.#embeddings === undefined ? undefined : await this.#embeddings.vectorsFor(items);
    const vectors = embedded?.vectors;
    const now = this.#clock.now();
    const stored: Array<{ id: string; type: string; tier: string; spaceId: string | undefined }> = [];
    const pruned: string[] = [];
    const seqs = this.#write(() => {
      const inserted = new Set<string>();
      const byHash = this.#seqsByHash(items);
      const unindexed: number[] = [];
      const result = items.map((item, index) => {
        const vector = vectors?.[index];
        const duplicate = byHash.get(item.hash) ?? this.#nearDuplicateOf(vector);
        if (duplicate !== undefined) {
          // A tag change re-indexes the memory's text, so that text must be indexed first.
          this.#indexText(unindexed);
          this.#mergeInto(duplicate, item, now);
          return duplicate;
        }
        const { seq, id } = this.#insert(item, vector, now);
        byHash.set(item.hash, seq);
        unindexed.push(seq);
        inserted.add(item.hash);
        stored.push({ id, type: item.type, tier: item.tier, spaceId: item.spaceId });
        return seq;
      });
      this.#indexText(unindexed);
      // A vector stored with its memory is found by content hash there; only the vectors of
      // merged duplicates need the cache.
      this.#embeddings?.store(
        (embedded?.fresh ?? []).filter((fresh) => !inserted.has(fresh.hash)),
        now,
      );
      pruned.push(...this.#enforceCaps(now).pruned);
      return result;
    });
    for (const entry of stored) {
      this.#publish("memory.stored", {
        memoryId: entry.id,
        memoryType: entry.type,
        tier: entry.tier,
        ...(entry.spaceId === undefined ? {} : { spaceId: entry.spaceId }),
      });
    }
    for (const id of pruned) this.#publish("memory.forgotten", { memoryId: id, reason: "cold tier over capacity" });
    const entries = this.#entriesBySeq(seqs);
    return seqs.map((seq) => {
      const entry = entries.get(seq);
      if (entry === undefined) {
        throw new KernelError(MemoryErrorCode.storageFailed, "a memory was removed before its write returned");
      }
      return entry;
    });
  }

  /** A stored memory of each content hash among `items` (one query for the whole batch). */
  #seqsByHash(items: ReadonlyArray<{ hash: string }>): Map<string, number> {
    const rows = this.#sql.all<{ hash: string; seq: number }>(
      `SELECT content_hash AS hash, min(seq) AS seq FROM memories
       WHERE content_hash IN (SELECT value FROM json_each(?)) GROUP BY content_hash`,
      [JSON.stringify(items.map((item) => item.hash))],
    );
    return new Map(rows.map((row) => [row.hash, row.seq]));
  }

  #nearDuplicateOf(vector: Float32Array | undefined): number | undefined {
    if (vector === undefined || this.#index === undefined) return undefined;
    return this.#index.nearDuplicate(vector, this.#nearDuplicate)?.seq;
  }

  /**
   * Adds the text of memories inserted in this transaction to the FTS index in one statement,
   * and empties `seqs`. Call before anything else touches those rows' FTS entries (a tag
   * change, a delete) and before the transaction ends; see migration 3 in `schema.ts`.
   */
  #indexText(seqs: number[]): void {
    if (seqs.length === 0) return;
    this.#sql.run(
      `INSERT INTO memories_fts(rowid, content, summary, tags)
       SELECT seq, content, summary, tags FROM memories WHERE seq IN (SELECT value FROM json_each(?))`,
      [JSON.stringify(seqs)],
    );
    seqs.length = 0;
  }

  #mergeInto(seq: number, item: ValidatedInput, now: number): void {
    const row = this.#sql.get<{ tags: string }>("SELECT tags FROM memories WHERE seq = ?", [seq]);
    let tags: string[] = [];
    try {
      const parsed: unknown = JSON.parse(row?.tags ?? "[]");
      if (Array.isArray(parsed)) tags = parsed.filter((tag): tag is string => typeof tag === "string");
    } catch (error) {
      this.#logger.warn("existing tags did not decode; replacing them with the duplicate's tags", { seq, error });
    }
    const merged = [...new Set([...tags, ...item.tags])];
    this.#sql.run("UPDATE memories SET tags = ?, importance = max(importance, ?), updated_at = ? WHERE seq = ?", [
      JSON.stringify(merged),
      item.importance,
      now,
      seq,
    ]);
    if (item.spaceId !== undefined) this.#link(seq, item.spaceId, now);
  }

  #link(seq: number, spaceId: string, now: number): void {
    this.#sql.run(
      "INSERT INTO memory_spaces(space_id, memory_seq, linked_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      [spaceId, seq, now],
    );
  }

  #insert(item: ValidatedInput, vector: Float32Array | undefined, now: number): { seq: number; id: string } {
    const id = newId(now);
    const result = this.#sql.run(
      `INSERT INTO memories(id, memory_type, content, summary, importance, tier, protection, source, session_id,
         tags, metadata, pinned, content_hash, created_at, updated_at, accessed_at, decay_rate)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        item.type,
        item.content,
        item.summary ?? null,
        item.importance,
        item.tier,
        item.protection,
        item.source ?? null,
        item.sessionId ?? null,
        JSON.stringify(item.tags),
        JSON.stringify(item.metadata),
        item.pinned ? 1 : 0,
        item.hash,
        now,
        now,
        now,
        MEMORY_TYPES[item.type].decayRate,
      ],
    );
    const seq = Number(result.lastInsertRowid);
    if (vector !== undefined) this.#index?.upsert(seq, vector);
    if (item.spaceId !== undefined) this.#link(seq, item.spaceId, now);
    return { seq, id };
  }

  /** Enforces tier caps inside the current transaction; returns how many moved and the ids deleted for space. */
  #enforceCaps(now: number): { demoted: number; pruned: string[] } {
    const outcome = enforceTierCaps(this.#sql, this.#caps, this.#logger, now);
    for (const victim of outcome.pruned) this.#deleteSeq(victim.seq);
    return { demoted: outcome.demoted, pruned: outcome.pruned.map((victim) => victim.id) };
  }

  /** A write transaction; with vectors on, one in which the index stamps once (see `VectorIndex.transaction`). */
  #write<T>(body: () => T): T {
    return this.#index === undefined ? this.#sql.transaction(body) : this.#index.transaction(body);
  }

  #deleteSeq(seq: number): void {
    this.#embeddings?.keepVectorOf(seq, this.#clock.now());
    this.#index?.remove(seq);
    this.#sql.run("DELETE FROM memories WHERE seq = ?", [seq]);
  }

  /**
   * Changes a memory in place. Its rowid stays the same; a content change re-embeds it and
   * replaces its one vector (never a second vector, never an orphan).
   *
   * Throws: `MEMORY_CLOSED`; `MEMORY_FILTER_INVALID` for a patch that is not an object and the
   * `remember` input codes for a bad field (nothing is changed); `MEMORY_NOT_FOUND`;
   * `MEMORY_EMBEDDER_TIMEOUT` / `MEMORY_EMBEDDING_FAILED` for new content; `DATABASE_*` codes.
   * Abort: takes no signal; the embedder's timeout bounds the wait.
   */
  async update(id: string, changes: MemoryPatch): Promise<MemoryEntry> {
    this.#assertOpen();
    if (typeof changes !== "object" || changes === null) throw invalid("update expects a patch object");
    const patch = this.#redacted(changes);
    const content = patch.content === undefined ? undefined : validateContent(patch.content);
    const type = patch.type === undefined ? undefined : validateType(patch.type);
    const sets: string[] = [];
    const params: Array<string | number | null> = [];
    const set = (column: string, value: string | number | null): void => {
      sets.push(`${column} = ?`);
      params.push(value);
    };
    if (patch.summary !== undefined) set("summary", validateSummary(patch.summary));
    if (type !== undefined) {
      set("memory_type", type);
      set("decay_rate", MEMORY_TYPES[type].decayRate);
    }
    if (patch.tier !== undefined) set("tier", validateTier(patch.tier));
    if (patch.protection !== undefined) set("protection", validateProtection(patch.protection));
    if (patch.tags !== undefined) set("tags", JSON.stringify(validateTags(patch.tags)));
    if (patch.importance !== undefined) set("importance", validateImportance(patch.importance));
    if (patch.metadata !== undefined) set("metadata", JSON.stringify(validateMetadata(patch.metadata)));
    let embedded: CachedVectors | undefined;
    if (content !== undefined) {
      const hash = contentHash(content);
      set("content", content);
      set("content_hash", hash);
      if (this.#embeddings !== undefined) embedded = await this.#embeddings.vectorsFor([{ content, hash }]);
    }
    const vector = embedded?.vectors[0];
    const now = this.#clock.now();
    set("updated_at", now);
    const seq = this.#write(() => {
      const found = this.#sql.get<{ seq: number }>("SELECT seq FROM memories WHERE id = ?", [id]);
      if (found === undefined) return undefined;
      if (vector !== undefined) this.#embeddings?.keepVectorOf(found.seq, now);
      this.#sql.run(`UPDATE memories SET ${sets.join(", ")} WHERE seq = ?`, [...params, found.seq]);
      if (vector !== undefined) this.#index?.upsert(found.seq, vector);
      return found.seq;
    });
    if (seq === undefined) throw new KernelError(MemoryErrorCode.notFound, `no memory ${id}`, { details: { id } });
    return this.#mustGet(seq, id);
  }

  /**
   * Pins (or unpins) a memory: pinned memories are never pruned and demoted last.
   *
   * Throws: `MEMORY_CLOSED`, `MEMORY_NOT_FOUND`, `DATABASE_*` codes. Abort: takes no signal.
   */
  async pin(id: string, pinned = true): Promise<MemoryEntry> {
    return this.#setColumns(id, "pinned = ?", [pinned ? 1 : 0]);
  }

  /**
   * Sets a memory's protection level, which scales its decay (permanent: no decay).
   *
   * Throws: `MEMORY_CLOSED`, `MEMORY_FILTER_INVALID` for an unknown level, `MEMORY_NOT_FOUND`,
   * `DATABASE_*` codes. Abort: takes no signal.
   */
  async protect(id: string, protection: MemoryEntry["protection"]): Promise<MemoryEntry> {
    return this.#setColumns(id, "protection = ?", [validateProtection(protection)]);
  }

  async #setColumns(id: string, assignment: string, params: Array<string | number>): Promise<MemoryEntry> {
    this.#assertOpen();
    const found = this.#sql.get<{ seq: number }>("SELECT seq FROM memories WHERE id = ?", [id]);
    if (found === undefined) throw new KernelError(MemoryErrorCode.notFound, `no memory ${id}`, { details: { id } });
    this.#sql.run(`UPDATE memories SET ${assignment}, updated_at = ? WHERE seq = ?`, [
      ...params,
      this.#clock.now(),
      found.seq,
    ]);
    return this.#mustGet(found.seq, id);
  }

  /**
   * Deletes a memory with its vector, FTS entry and space links. False if there was none.
   *
   * Throws: `MEMORY_CLOSED`, `DATABASE_*` codes. Abort: takes no signal.
   */
  async forget(id: string, reason = "forgotten"): Promise<boolean> {
    this.#assertOpen();
    const removed = this.#write(() => {
      const found = this.#sql.get<{ seq: number }>("SELECT seq FROM memories WHERE id = ?", [id]);
      if (found === undefined) return false;
      this.#deleteSeq(found.seq);
      return true;
    });
    if (removed) this.#publish("memory.forgotten", { memoryId: id, reason });
    return removed;
  }

  /**
   * Resolves once every `remember` issued before it has committed (or failed).
   *
   * Throws: nothing: a failed write rejects its own `remember`. Abort: takes no signal.
   */
  async flush(): Promise<void> {
    await this.#queue.flush();
  }

  // ---------------------------------------------------------------- reads

  async get(id: string): Promise<MemoryEntry | undefined> {
    this.#assertOpen();
    const rows = this.#sql.all<MemoryRow>(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.id = ?`, [id]);
    return this.#decode(rows)[0];
  }

  async list(options: ListOptions = {}): Promise<MemoryEntry[]> {
    this.#assertOpen();
    const filter = compileFilter(options);
    const limit = boundedInteger(options.limit, "limit", 1, 1_000, 100);
    const offset = boundedInteger(options.offset, "offset", 0, Number.MAX_SAFE_INTEGER, 0);
    if (options.order !== undefined && options.order !== "newest" && options.order !== "oldest") {
      throw invalid("order must be newest or oldest");
    }
    const direction = options.order === "oldest" ? "ASC" : "DESC";
    const rows = this.#sql.all<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories m ${filter.where === "" ? "" : `WHERE ${filter.where}`}
       ORDER BY m.created_at ${direction}, m.seq ${direction} LIMIT ? OFFSET ?`,
      [...filter.params, limit, offset],
    );
    return this.#decode(rows);
  }

  /**
   * Hybrid search: the vector KNN and the BM25 query each fetch a pool of `2 × limit`
   * (at least 20) candidates with the filters inside the query, then reciprocal rank fusion
   * (k = 60) merges them. BM25 ranks the memories that hold any word of the query; with a
   * `keywordRowBudget`, when the words' memories add up to more than it, the most common words
   * are left out of the match (rarest kept first, the rarest found always), and when those find
   * fewer than the pool every word is matched after all. `vector` and `keyword` modes return one
   * list alone. Read-only: it does not count as an access (use `recall`).
   *
   * Throws: `MEMORY_CLOSED` once the store is closing; `MEMORY_FILTER_INVALID` for an empty or
   * over-long query, a bad limit, mode or filter; `MEMORY_VECTOR_UNAVAILABLE` for `vector`
   * mode without sqlite-vec; `MEMORY_EMBEDDER_TIMEOUT` / `MEMORY_EMBEDDING_FAILED` when the
   * query cannot be embedded.
   * Abort: `options.signal` stops the wait for the query's embedding (`ABORTED`); nothing is
   * changed either way.
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    this.#assertOpen();
    if (typeof query !== "string" || query.trim().length === 0 || query.length > MAX_QUERY_LENGTH) {
      throw invalid(`search query must be a non-empty string of at most ${MAX_QUERY_LENGTH} characters`);
    }
    const limit = boundedInteger(options.limit, "limit", 1, 100, 10);
    const mode = options.mode ?? "hybrid";
    if (mode !== "hybrid" && mode !== "vector" && mode !== "keyword") {
      throw invalid("mode must be hybrid, vector or keyword");
    }
    if (mode === "vector" && this.#index === undefined) {
      throw new KernelError(MemoryErrorCode.vectorUnavailable, `vector search is off: ${this.#vectorReason}`);
    }
    const filter = compileFilter(options);
    const pool = Math.max(limit * 2, 20);
    const keywordList = mode === "vector" ? [] : this.#keywordCandidates(query, pool, filter);
    const vectorList =
      mode === "keyword" || this.#index === undefined || this.#embeddings === undefined
        ? []
        : this.#index.nearest(await this.#embeddings.embedQuery(query, options.signal), pool, filter);
    const fused = reciprocalRankFusion([vectorList.map((hit) => hit.seq), keywordList]);
    const vectorRank = new Map(vectorList.map((hit, index) => [hit.seq, index + 1]));
    const distance = new Map(vectorList.map((hit) => [hit.seq, hit.distance]));
    const keywordRank = new Map(keywordList.map((seq, index) => [seq, index + 1]));
    const ranked = [...fused.entries()]
      .sort((a, b) => b[1] - a[1] || (vectorRank.get(a[0]) ?? pool + 1) - (vectorRank.get(b[0]) ?? pool + 1))
      .slice(0, limit);
    const entries = this.#entriesBySeq(ranked.map(([seq]) => seq));
    const hits: SearchHit[] = [];
    for (const [seq, score] of ranked) {
      const entry = entries.get(seq);
      if (entry === undefined) continue;
      hits.push({
        entry,
        score,
        vectorRank: vectorRank.get(seq),
        keywordRank: keywordRank.get(seq),
        distance: distance.get(seq),
      });
    }
    return hits;
  }

  #keywordCandidates(query: string, pool: number, filter: SqlFilter): number[] {
    const terms = queryTerms(query);
    if (terms.length === 0) return [];
    const budget = this.#keywordRowBudget;
    const kept =
      budget === undefined || terms.length === 1
        ? terms
        : termsWithinBudget(terms, this.#documentCounts(terms), budget);
    const found = this.#bm25(matchAny(kept), pool, filter);
    if (kept.length === terms.length || found.length >= pool) return found;
    // The rare terms alone found fewer rows than asked for (a filter they miss): every term.
    return this.#bm25(matchAny(terms), pool, filter);
  }

  /** How many memories hold each of `terms` (a term in none is absent). */
  #documentCounts(terms: readonly string[]): Map<string, number> {
    const rows = this.#sql.all<{ term: string; doc: number }>(
      `SELECT term, doc FROM temp.memories_fts_vocab WHERE term IN (${terms.map(() => "?").join(", ")})`,
      [...terms],
    );
    return new Map(rows.map((row) => [row.term, row.doc]));
  }

  /** The best `pool` memories for an FTS5 `match` by BM25, `filter` applied before the cut. */
  #bm25(match: string, pool: number, filter: SqlFilter): number[] {
    if (filter.where === "") {
      // No filter: rank the FTS rows alone; joining every match to its memory costs as much again.
      return this.#sql
        .all<{ seq: number }>(
          `SELECT rowid AS seq FROM memories_fts WHERE memories_fts MATCH ?
           ORDER BY bm25(memories_fts, 1.0, 0.5, 0.5), rowid LIMIT ?`,
          [match, pool],
        )
        .map((row) => row.seq);
    }
    return this.#sql
      .all<{ seq: number }>(
        `SELECT m.seq AS seq FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
         WHERE memories_fts MATCH ? AND ${filter.where}
         ORDER BY bm25(memories_fts, 1.0, 0.5, 0.5), m.seq LIMIT ?`,
        [match, ...filter.params, pool],
      )
      .map((row) => row.seq);
  }

  /**
   * What an agent should see now: the 3 latest conversation memories and the 2 latest
   * session memories (of the session and space, when given) plus search hits for the query,
   * deduplicated, at most 10. Counts as an access for each returned memory and publishes
   * `memory.recalled`.
   *
   * Throws: as `search` (a query of any length is cut to its first 4,096 characters first).
   * Abort: `context.signal` stops the wait for the query's embedding (`ABORTED`); no access
   * is counted then.
   */
  async recall(context: RecallContext = {}): Promise<MemoryEntry[]> {
    this.#assertOpen();
    const limit = boundedInteger(context.limit, "limit", 1, 10, 10);
    const scope: MemoryFilter = {
      ...(context.sessionId === undefined ? {} : { sessionId: context.sessionId }),
      ...(context.spaceId === undefined ? {} : { spaceId: context.spaceId }),
    };
    const picked = new Map<string, MemoryEntry>();
    const add = (entries: MemoryEntry[]): void => {
      for (const entry of entries) if (!picked.has(entry.id)) picked.set(entry.id, entry);
    };
    add(await this.list({ ...scope, types: ["conversation"], limit: 3 }));
    add(await this.list({ ...scope, types: ["session"], limit: 2 }));
    const query = context.query === undefined ? "" : recallQuery(context.query);
    if (query.length > 0) {
      const hits = await this.search(query, {
        limit: 10,
        ...(context.spaceId === undefined ? {} : { spaceId: context.spaceId }),
        ...(context.signal === undefined ? {} : { signal: context.signal }),
      });
      add(hits.map((hit) => hit.entry));
    }
    const recalled = [...picked.values()].slice(0, limit);
    if (recalled.length === 0) return [];
    const now = this.#clock.now();
    this.#sql.run(
      `UPDATE memories SET access_count = access_count + 1, accessed_at = ?,
         session_appearances = session_appearances + (CASE WHEN ? IS NOT NULL AND session_id IS NOT ? THEN 1 ELSE 0 END)
       WHERE id IN (SELECT value FROM json_each(?))`,
      [now, context.sessionId ?? null, context.sessionId ?? null, JSON.stringify(recalled.map((entry) => entry.id))],
    );
    this.#publish("memory.recalled", {
      memoryIds: recalled.map((entry) => entry.id),
      ...(query.length === 0 ? {} : { query }),
      ...(context.sessionId === undefined ? {} : { sessionId: context.sessionId }),
    });
    return recalled.map((entry) => ({
      ...entry,
      accessCount: entry.accessCount + 1,
      accessedAt: now,
    }));
  }

  /** A copy of an input or patch with its strings redacted (an invalid one as it is). */
  #redacted<T>(input: T): T {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
    return this.#redactor.redactValue({ ...input });
  }

  stats(): MemoryStats {
    this.#assertOpen();
    const byTier = { hot: 0, warm: 0, cold: 0 } as Record<MemoryTier, number>;
    for (const row of this.#sql.all<{ tier: string; n: number }>(
      "SELECT tier, count(*) AS n FROM memories GROUP BY tier",
    )) {
      if ((MEMORY_TIERS as readonly string[]).includes(row.tier)) byTier[row.tier as MemoryTier] = row.n;
    }
    const byType: Record<string, number> = {};
    for (const row of this.#sql.all<{ memory_type: string; n: number }>(
      "SELECT memory_type, count(*) AS n FROM memories GROUP BY memory_type",
    )) {
      byType[row.memory_type] = row.n;
    }
    return {
      memories: this.#sql.get<{ n: number }>("SELECT count(*) AS n FROM memories")?.n ?? 0,
      byTier,
      byType,
      vectors: this.#index?.count() ?? 0,
      mode: this.#index === undefined ? "keyword-only" : "hybrid",
      vectorStatus:
        this.#index === undefined || this.#embeddings === undefined
          ? { enabled: false, ...(this.#vectorReason === undefined ? {} : { reason: this.#vectorReason }) }
          : {
              enabled: true,
              model: this.#embeddings.embedder.id,
              dimensions: this.#embeddings.embedder.dimensions,
            },
      corruptRows: this.#corrupt.size,
      pendingWrites: this.#queue.pending,
      blockedWriters: this.#queue.blocked,
      reembed: this.#reembed?.status() ?? { running: false, done: 0, total: 0 },
      schemaVersion: SCHEMA_VERSION,
      embeddingCacheEntries: cachedEmbeddingCount(this.#sql),
    };
  }

  /** `degraded` with reasons when search runs keyword-only, rows failed to decode, or a re-embed failed. */
  health(): MemoryHealth {
    const stats = this.stats();
    const reasons: string[] = [];
    if (stats.mode === "keyword-only") reasons.push(`keyword-only: ${stats.vectorStatus.reason ?? "vectors off"}`);
    if (stats.corruptRows > 0) reasons.push(`${stats.corruptRows} memory rows failed to decode`);
    if (stats.reembed.error !== undefined) reasons.push(`re-embed failed: ${stats.reembed.error}`);
    if (stats.reembed.running) reasons.push(`re-embedding: ${stats.reembed.done}/${stats.reembed.total}`);
    return { status: reasons.length === 0 ? "ok" : "degraded", reasons };
  }

  // ---------------------------------------------------------------- dreams

  /**
   * Runs one dream (consolidation) now, resuming an interrupted run at its next phase.
   *
   * Throws: `MEMORY_CLOSED`; `MEMORY_DREAM_BUSY` while another dream runs; `DATABASE_*` codes.
   * Abort: `options.signal` stops the dream between phases (`ABORTED`); each finished phase
   * is checkpointed, so the next dream resumes after it.
   */
  async dream(options: { signal?: AbortSignal } = {}): Promise<DreamReport> {
    this.#assertOpen();
    if (this.#dreamRunning) throw new KernelError(MemoryErrorCode.dreamBusy, "a dream is already running");
    this.#dreamRunning = true;
    try {
      return await runDream({
        sql: this.#sql,
        clock: this.#clock,
        logger: this.#logger,
        index: this.#index,
        caps: this.#caps,
        nearDuplicateDistance: this.#nearDuplicate,
        embeddingCacheSize: this.#cacheSize,
        signal: options.signal,
        publish: (type, payload) => this.#publish(type, payload),
        deleteSeq: (seq) => this.#deleteSeq(seq),
        enforceCaps: (now) => this.#enforceCaps(now),
        decode: (rows) => this.#decode(rows),
      });
    } finally {
      this.#dreamRunning = false;
    }
  }

  /** Starts dreaming on a schedule (4 h / 24 h / 48 h presets, or `intervalMs`). Stop with the handle. */
  startDreaming(options: DreamScheduleOptions = {}): DreamSchedule {
    this.#assertOpen();
    return this.#dreamScheduler.start(options);
  }

  /** Past dream reports, newest first. */
  dreamReports(limit = 20): DreamReport[] {
    this.#assertOpen();
    return this.#sql
      .all<{ report: string }>("SELECT report FROM dream_reports ORDER BY completed_at DESC, run_id DESC LIMIT ?", [
        boundedInteger(limit, "limit", 1, 1_000, 20),
      ])
      .map((row) => JSON.parse(row.report) as DreamReport);
  }

  /** Resolves when the background re-embed (if any) has finished. */
  async reembedIdle(): Promise<void> {
    await this.#reembed?.idle();
  }

  // ---------------------------------------------------------------- plumbing

  #decode(rows: MemoryRow[]): MemoryEntry[] {
    const entries: MemoryEntry[] = [];
    for (const row of rows) {
      try {
        entries.push(decodeRow(row));
      } catch (error) {
        if (!this.#corrupt.has(row.id)) {
          this.#corrupt.add(row.id);
          this.#logger.warn("skipping a memory row that failed to decode", {
            memoryId: row.id,
            seq: row.seq,
            reason: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
    return entries;
  }

  #getBySeq(seq: number): MemoryEntry | undefined {
    return this.#decode(this.#sql.all<MemoryRow>(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.seq = ?`, [seq]))[0];
  }

  #mustGet(seq: number, id: string): MemoryEntry {
    const entry = this.#getBySeq(seq);
    if (entry === undefined) {
      throw new KernelError(MemoryErrorCode.notFound, `memory ${id} is gone or unreadable`, { details: { id } });
    }
    return entry;
  }

  #entriesBySeq(seqs: number[]): Map<number, MemoryEntry> {
    if (seqs.length === 0) return new Map();
    const rows = this.#sql.all<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.seq IN (SELECT value FROM json_each(?))`,
      [JSON.stringify(seqs)],
    );
    const bySeq = new Map<string, number>(rows.map((row) => [row.id, row.seq]));
    return new Map(this.#decode(rows).map((entry) => [bySeq.get(entry.id) as number, entry]));
  }

  #publish<T extends KernelEventType>(type: T, payload: KernelEventPayloads[T]): void {
    if (this.#events === undefined) return;
    const result = this.#events.publish(createEvent(type, payload, SOURCE, this.#clock.now()));
    if (result.dropped > 0)
      this.#logger.warn("a memory event was dropped by a subscriber", { type, dropped: result.dropped });
  }

  #saveIndexSnapshot(): void {
    try {
      this.#index?.saveSnapshot();
    } catch (error) {
      this.#logger.warn("the vector index snapshot was not stored; the next open reads the code table instead", {
        error,
      });
    }
  }

  #assertOpen(): void {
    if (this.#closed || this.#closing !== undefined) {
      throw new KernelError(MemoryErrorCode.closed, "the memory store is closed");
    }
  }

  /**
   * Stops dream schedules and the re-embed (joining them), drains pending writes, closes the
   * database it opened. Idempotent: a second call returns the first call's promise.
   *
   * Throws: nothing: a write that fails while draining rejects its own `remember`.
   * Abort: takes no signal.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = (async () => {
        await this.#dreamScheduler.stopAll();
        await this.#reembed?.stop();
        await this.#queue.close();
        this.#saveIndexSnapshot();
        this.#release();
        this.#closed = true;
      })();
    }
    return this.#closing;
  }
}
