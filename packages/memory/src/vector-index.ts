/**
 * The vector side of the store. Float vectors live in `memory_embeddings` (one row per memory,
 * keyed by the memory's stable `seq`); their 1,024-bit sign codes live in the sqlite-vec
 * `vec0` table `memory_vectors`, keyed by the same `seq`. A search runs a Hamming KNN over the
 * codes (fast: 128 bytes a row) for an oversampled candidate set, with the caller's filters
 * applied inside that KNN (`rowid IN (…)`), then re-ranks the candidates by exact float
 * cosine distance. Updates delete and re-insert the vec0 row under the same rowid, so a
 * memory never has two vectors and no vector outlives its memory.
 */

import { readMeta, writeMeta } from "./schema.ts";
import { SignQuantizer } from "./sign-quantizer.ts";
import { blob, type Sql, type SqlValue } from "./sql.ts";

export interface VectorCandidate {
  seq: number;
  distance: number;
}

export interface SqlFilter {
  /** A condition on `memories m`; empty for none. */
  where: string;
  params: SqlValue[];
}

/** Codes fetched per wanted result before exact re-ranking (at least `MIN_OVERSAMPLE`). */
const OVERSAMPLE = 5;
const MIN_OVERSAMPLE = 100;

export class VectorIndex {
  readonly quantizer: SignQuantizer;
  readonly #sql: Sql;
  readonly model: string;

  constructor(sql: Sql, model: string, dimensions: number) {
    this.#sql = sql;
    this.model = model;
    this.quantizer = new SignQuantizer(dimensions);
    const bits = String(this.quantizer.bits);
    if (readMeta(sql, "vector_bits") !== bits) {
      sql.exec("DROP TABLE IF EXISTS memory_vectors");
      writeMeta(sql, "vector_bits", bits);
    }
    sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS memory_vectors USING vec0(embedding_bits bit[${bits}])`);
  }

  /** Stores (or replaces) the vector of memory `seq`; call inside the write transaction. */
  upsert(seq: number, vector: Float32Array): void {
    const rowid = BigInt(seq);
    this.#sql.run("DELETE FROM memory_vectors WHERE rowid = ?", [rowid]);
    this.#sql.run("INSERT INTO memory_vectors(rowid, embedding_bits) VALUES (?, vec_bit(?))", [
      rowid,
      blob(this.quantizer.quantize(vector)),
    ]);
    this.#sql.run(
      `INSERT INTO memory_embeddings(memory_seq, model, vector) VALUES (?, ?, ?)
       ON CONFLICT(memory_seq) DO UPDATE SET model = excluded.model, vector = excluded.vector`,
      [seq, this.model, blob(vector)],
    );
  }

  /** Removes the vector of memory `seq` (its `memory_embeddings` row cascades with the memory). */
  remove(seq: number): void {
    this.#sql.run("DELETE FROM memory_vectors WHERE rowid = ?", [BigInt(seq)]);
    this.#sql.run("DELETE FROM memory_embeddings WHERE memory_seq = ?", [seq]);
  }

  /** Drops every vector (before a re-embed with another model). */
  clear(): void {
    this.#sql.exec("DELETE FROM memory_vectors; DELETE FROM memory_embeddings;");
  }

  count(): number {
    return this.#sql.get<{ n: number }>("SELECT count(*) AS n FROM memory_embeddings")?.n ?? 0;
  }

  /**
   * The `limit` nearest memories to `query` that satisfy `filter`, by exact cosine distance,
   * nearest first. The filter is part of the KNN itself, so it never truncates before
   * filtering. `candidates` overrides how many codes the coarse stage fetches.
   */
  nearest(query: Float32Array, limit: number, filter: SqlFilter, candidates?: number): VectorCandidate[] {
    const k = candidates ?? Math.max(limit * OVERSAMPLE, MIN_OVERSAMPLE);
    const params: SqlValue[] = [blob(this.quantizer.quantize(query)), k];
    let restriction = "";
    if (filter.where !== "") {
      restriction = ` AND rowid IN (SELECT m.seq FROM memories m WHERE ${filter.where})`;
      params.push(...filter.params);
    }
    const coarse = this.#sql.all<{ rowid: number }>(
      `SELECT rowid FROM memory_vectors WHERE embedding_bits MATCH vec_bit(?) AND k = ?${restriction}`,
      params,
    );
    if (coarse.length === 0) return [];
    return this.#sql.all<VectorCandidate>(
      `SELECT memory_seq AS seq, vec_distance_cosine(vector, ?) AS distance FROM memory_embeddings
       WHERE memory_seq IN (SELECT value FROM json_each(?)) ORDER BY distance, memory_seq LIMIT ?`,
      [blob(query), JSON.stringify(coarse.map((row) => row.rowid)), limit],
    );
  }
}
