/**
 * The embedding cache: vectors by (embedder id, normalised-content hash), so content seen
 * before — stored, forgotten, or replaced — needs no embedder call. A live memory's vector is
 * read from `memory_embeddings`; `embedding_cache` holds the vectors no memory holds any
 * more (kept when a memory is deleted or its content replaced) and those of merged
 * duplicates. Queries have a small in-process LRU of their own. Dreams trim the table to
 * `embeddingCacheSize`, oldest-used first.
 */

import type { Clock, Logger } from "@oxios/core";
import { type Embedder, embedWithin } from "./embedder.ts";
import { blob, floatsFromBlob, type Sql } from "./sql.ts";

/** A vector the embedder just computed, not yet in the embedding cache. */
export interface FreshVector {
  hash: string;
  vector: Float32Array;
}

/** Vectors for a batch, in order, and those of them the embedder computed just now. */
export interface CachedVectors {
  vectors: Float32Array[];
  fresh: FreshVector[];
}

export interface EmbeddingCacheOptions {
  sql: Sql;
  embedder: Embedder;
  clock: Clock;
  /** How long a call waits for the embedder. */
  timeoutMs: number;
  logger: Logger;
}

const QUERY_CACHE_SIZE = 256;

/** How many vectors the embedding cache table holds. */
export function cachedEmbeddingCount(sql: Sql): number {
  return sql.get<{ n: number }>("SELECT count(*) AS n FROM embedding_cache")?.n ?? 0;
}

export class EmbeddingCache {
  readonly #sql: Sql;
  readonly #embedder: Embedder;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #queries = new Map<string, Float32Array>();

  constructor(options: EmbeddingCacheOptions) {
    this.#sql = options.sql;
    this.#embedder = options.embedder;
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
  }

  get embedder(): Embedder {
    return this.#embedder;
  }

  /** One vector per text, straight from the embedder, bounded by the timeout. */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    return embedWithin(this.#embedder, texts, {
      clock: this.#clock,
      timeoutMs: this.#timeoutMs,
      ...(signal === undefined ? {} : { signal }),
      onLateFailure: (error) =>
        this.#logger.warn("an embed call failed after its caller stopped waiting; nothing depends on it", { error }),
    });
  }

  /**
   * Vectors for `items`, from the (model, content hash) cache where present; misses embedded in
   * one batch and returned as `fresh`, for the caller to `store` in its write transaction.
   */
  async vectorsFor(items: ReadonlyArray<{ content: string; hash: string }>): Promise<CachedVectors> {
    const hashes = [...new Set(items.map((item) => item.hash))];
    const cached = new Map<string, Float32Array>();
    for (const row of this.#sql.all<{ content_hash: string; vector: unknown }>(
      `SELECT content_hash, vector FROM embedding_cache WHERE model = ?1 AND content_hash IN (SELECT value FROM json_each(?2))
       UNION ALL
       SELECT m.content_hash, e.vector FROM memories m JOIN memory_embeddings e ON e.memory_seq = m.seq
       WHERE e.model = ?1 AND m.content_hash IN (SELECT value FROM json_each(?2))`,
      [this.#embedder.id, JSON.stringify(hashes)],
    )) {
      cached.set(row.content_hash, floatsFromBlob(row.vector));
    }
    const missing = items.filter(
      (item, index) => !cached.has(item.hash) && items.findIndex((other) => other.hash === item.hash) === index,
    );
    const fresh: FreshVector[] = [];
    if (missing.length > 0) {
      const vectors = await this.embed(missing.map((item) => item.content));
      missing.forEach((item, index) => {
        const vector = vectors[index] as Float32Array;
        cached.set(item.hash, vector);
        fresh.push({ hash: item.hash, vector });
      });
    }
    return { vectors: items.map((item) => cached.get(item.hash) as Float32Array), fresh };
  }

  /**
   * Keeps the vector of memory `seq` before the memory is deleted or its content replaced, so
   * the same content later needs no embedder call. Call inside that write's transaction.
   */
  keepVectorOf(seq: number, now: number): void {
    this.#sql.run(
      `INSERT INTO embedding_cache(model, content_hash, vector, used_at)
       SELECT e.model, m.content_hash, e.vector, ? FROM memories m JOIN memory_embeddings e ON e.memory_seq = m.seq
       WHERE m.seq = ?
       ON CONFLICT(model, content_hash) DO UPDATE SET vector = excluded.vector, used_at = excluded.used_at`,
      [now, seq],
    );
  }

  /** Caches freshly computed vectors; call inside the write transaction that uses them. */
  store(fresh: readonly FreshVector[], now: number): void {
    for (const { hash, vector } of fresh) {
      this.#sql.run(
        `INSERT INTO embedding_cache(model, content_hash, vector, used_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(model, content_hash) DO UPDATE SET vector = excluded.vector, used_at = excluded.used_at`,
        [this.#embedder.id, hash, blob(vector), now],
      );
    }
  }

  /** The vector of a search query, from the query LRU or the embedder. */
  async embedQuery(query: string, signal?: AbortSignal): Promise<Float32Array> {
    const known = this.#queries.get(query);
    if (known !== undefined) {
      this.#queries.delete(query);
      this.#queries.set(query, known);
      return known;
    }
    const [vector] = await this.embed([query], signal);
    this.#queries.set(query, vector as Float32Array);
    if (this.#queries.size > QUERY_CACHE_SIZE) {
      const oldest = this.#queries.keys().next().value;
      if (oldest !== undefined) this.#queries.delete(oldest);
    }
    return vector as Float32Array;
  }
}
