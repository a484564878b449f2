/**
 * The background re-embed: after the embedder changed (or the vector codes were rebuilt on
 * upgrade), memories without a vector are embedded in batches while the store serves. A flag
 * in `memory_meta` marks that some memories may lack a vector, so an open counts them only
 * then; a re-embed stopped by `close()` resumes on the next open. Progress is published as
 * `memory.reembed-progress` and shown in `stats().reembed`.
 */

import { CoreErrorCode, KernelError, type Logger, throwIfAborted } from "@oxios/core";
import type { EmbeddingCache } from "./embedding-cache.ts";
import { readMeta, writeMeta } from "./schema.ts";
import type { Sql } from "./sql.ts";
import type { VectorIndex } from "./vector-index.ts";

/** Set in `memory_meta` while some memories may lack a vector; the next open re-embeds them. */
const VECTORS_INCOMPLETE = "vectors_incomplete";
const REEMBED_BATCH = 64;

export interface ReembedStatus {
  running: boolean;
  done: number;
  total: number;
  error?: string;
}

export interface ReembedOptions {
  sql: Sql;
  index: VectorIndex;
  embeddings: EmbeddingCache;
  /** Runs `body` in the store's write transaction. */
  write: (body: () => void) => void;
  logger: Logger;
  onProgress: (progress: { done: number; total: number; model: string }) => void;
}

/** Records that some memories may lack a vector (call in the transaction that makes it so). */
export function markVectorsIncomplete(sql: Sql): void {
  writeMeta(sql, VECTORS_INCOMPLETE, "1");
}

export class Reembed {
  readonly #options: ReembedOptions;
  readonly #controller = new AbortController();
  readonly #status = { running: false, done: 0, total: 0, error: undefined as string | undefined };
  #task: Promise<void> | undefined;

  constructor(options: ReembedOptions) {
    this.#options = options;
  }

  /** Starts the background re-embed when some memories lack a vector. */
  startIfNeeded(): void {
    const { sql, logger } = this.#options;
    // Only a change of embedder (or of code format, on upgrade) leaves memories without a
    // vector; counting them on every open would read the whole table at a million memories.
    if (readMeta(sql, VECTORS_INCOMPLETE) === undefined) return;
    const missing = this.#countMissingVectors();
    if (missing === 0) {
      sql.run("DELETE FROM memory_meta WHERE key = ?", [VECTORS_INCOMPLETE]);
      return;
    }
    this.#status.running = true;
    this.#status.total = missing;
    this.#status.done = 0;
    this.#task = this.#run().then(
      () => {
        this.#status.running = false;
      },
      (error: unknown) => {
        this.#status.running = false;
        if (KernelError.hasCode(error, CoreErrorCode.aborted) && this.#controller.signal.aborted) {
          logger.info("re-embed stopped by close; it resumes on the next open", { done: this.#status.done });
          return;
        }
        this.#status.error = error instanceof Error ? error.message : String(error);
        logger.error("re-embed failed; vector search misses the memories not yet embedded", { error });
      },
    );
  }

  status(): ReembedStatus {
    const { running, done, total, error } = this.#status;
    return { running, done, total, ...(error === undefined ? {} : { error }) };
  }

  /** Resolves when the re-embed (if any) has finished. */
  async idle(): Promise<void> {
    await this.#task;
  }

  /** Stops the re-embed and waits for it. */
  async stop(): Promise<void> {
    this.#controller.abort(new KernelError(CoreErrorCode.aborted, "memory store closing"));
    await this.#task;
  }

  #countMissingVectors(): number {
    // Every vector has a code (same transaction) and every code a memory (cascade), so the
    // difference of the counts is the number of memories without a vector; no join needed.
    const memories = this.#options.sql.get<{ n: number }>("SELECT count(*) AS n FROM memories")?.n ?? 0;
    return memories - this.#options.index.count();
  }

  async #run(): Promise<void> {
    const { sql, index, embeddings, write, onProgress } = this.#options;
    const signal = this.#controller.signal;
    const model = embeddings.embedder.id;
    for (;;) {
      throwIfAborted(signal);
      const rows = sql.all<{ seq: number; content: string; content_hash: string }>(
        `SELECT m.seq, m.content, m.content_hash FROM memories m LEFT JOIN memory_embeddings e ON e.memory_seq = m.seq
         WHERE e.memory_seq IS NULL ORDER BY m.seq LIMIT ?`,
        [REEMBED_BATCH],
      );
      if (rows.length === 0) {
        sql.run("DELETE FROM memory_meta WHERE key = ?", [VECTORS_INCOMPLETE]);
        return;
      }
      const { vectors } = await embeddings.vectorsFor(
        rows.map((row) => ({ content: row.content, hash: row.content_hash })),
      );
      throwIfAborted(signal);
      write(() => {
        rows.forEach((row, rowIndex) => {
          // Skip a memory changed or deleted meanwhile: its own write embedded it.
          const still = sql.get("SELECT 1 FROM memories WHERE seq = ? AND content_hash = ?", [
            row.seq,
            row.content_hash,
          ]);
          if (still !== undefined) index.upsert(row.seq, vectors[rowIndex] as Float32Array);
        });
      });
      this.#status.done += rows.length;
      this.#status.total = Math.max(this.#status.total, this.#status.done);
      onProgress({ done: this.#status.done, total: this.#status.total, model });
    }
  }
}
