/**
 * How the bit index survives a restart. Every code is a row of `memory_codes`, written in the
 * same transaction as its memory and its float vector, so after a crash the table holds exactly
 * the committed codes; opening reads that table page by page into the in-process index — no
 * float vector is read and nothing is quantized. A clean close also stores the whole index as
 * a few large rows (`memory_index_snapshot`) tagged with the stamp below; an open that finds
 * the snapshot's stamp equal to the table's loads it instead, which is several times faster.
 * Two values in `memory_meta` guard the copy:
 *
 * - `vector_code_format`: the quantizer's signature. When it does not match the code (first
 *   open after an upgrade, or a different code width), every code is rebuilt from
 *   `memory_embeddings` once, in the open transaction (and the stamp changes).
 * - `vector_index_stamp`: a random token that every change to the index rewrites in its own
 *   transaction. An in-memory index whose token differs from the table's missed a change — its
 *   own transaction rolled back, or another connection wrote — and reloads from the table. A
 *   snapshot is used only at the stamp it was taken at, so it never hides a later write, even
 *   one a crash interrupted after its commit.
 */

import { randomUUID } from "node:crypto";
import { KernelError } from "@oxios/core";
import type { BitIndex } from "./bit-index.ts";
import { MemoryErrorCode } from "./error-codes.ts";
import { readMeta, writeMeta } from "./schema.ts";
import type { SignQuantizer } from "./sign-quantizer.ts";
import { blob, floatsFromBlob, type Sql } from "./sql.ts";

const FORMAT_KEY = "vector_code_format";
const STAMP_KEY = "vector_index_stamp";
const SNAPSHOT_KEY = "vector_snapshot_stamp";
/** Codes per snapshot row (4 MB of codes at 64 bytes). */
const SNAPSHOT_PART = 65_536;
/** Rows read per statement while loading or rebuilding, to bound the memory a page takes. */
const PAGE_ROWS = 16_384;

/** What the codes in `memory_codes` were computed with. */
export function codeFormat(quantizer: SignQuantizer): string {
  return `sign-hadamard-v2:${quantizer.dimensions}:${quantizer.bits}:${quantizer.seed}`;
}

/** True when the stored codes were made by `quantizer`. */
export function codesMatch(sql: Sql, quantizer: SignQuantizer): boolean {
  return readMeta(sql, FORMAT_KEY) === codeFormat(quantizer);
}

/**
 * Recomputes every code from the float vectors and records the format. Call inside a
 * transaction. Returns how many codes were written.
 */
export function rebuildCodes(sql: Sql, quantizer: SignQuantizer): number {
  sql.run("DELETE FROM memory_codes");
  let after = -1;
  let written = 0;
  for (;;) {
    const rows = sql.all<{ seq: number; vector: unknown }>(
      "SELECT memory_seq AS seq, vector FROM memory_embeddings WHERE memory_seq > ? ORDER BY memory_seq LIMIT ?",
      [after, PAGE_ROWS],
    );
    for (const row of rows) {
      const vector = floatsFromBlob(row.vector);
      // A vector of another embedder's width gets no code: the open that follows clears it and
      // re-embeds the memory.
      if (vector.length !== quantizer.dimensions) continue;
      sql.run("INSERT INTO memory_codes(memory_seq, code) VALUES (?, ?)", [row.seq, blob(quantizer.quantize(vector))]);
    }
    written += rows.length;
    if (rows.length < PAGE_ROWS) break;
    after = (rows[rows.length - 1] as { seq: number }).seq;
  }
  writeMeta(sql, FORMAT_KEY, codeFormat(quantizer));
  writeStamp(sql);
  return written;
}

/**
 * Replaces the contents of `index` with the committed codes: from the snapshot when it was
 * taken at the current stamp, else from `memory_codes`. Call inside a transaction, so that
 * every page read agrees. Returns where the codes came from, or `undefined` when a stored code
 * has the wrong length (the caller rebuilds the codes from the float vectors).
 */
export function loadIndex(sql: Sql, index: BitIndex): "snapshot" | "table" | undefined {
  const stamp = readStamp(sql);
  if (stamp !== undefined && readMeta(sql, SNAPSHOT_KEY) === stamp && loadSnapshot(sql, index)) return "snapshot";
  return loadCodes(sql, index) ? "table" : undefined;
}

/**
 * Stores the whole index as a few large rows, tagged with the current stamp, unless a snapshot
 * at that stamp exists. `index` must mirror the table (the caller checked the stamp). Call inside
 * a transaction.
 */
export function saveSnapshot(sql: Sql, index: BitIndex, stamp: string): boolean {
  if (readMeta(sql, SNAPSHOT_KEY) === stamp) return false;
  const { seqs, codes } = index.export();
  sql.run("DELETE FROM memory_index_snapshot");
  for (let part = 0; part * SNAPSHOT_PART < seqs.length; part++) {
    const from = part * SNAPSHOT_PART;
    const to = Math.min(seqs.length, from + SNAPSHOT_PART);
    sql.run("INSERT INTO memory_index_snapshot(part, seqs, codes) VALUES (?, ?, ?)", [
      part,
      blob(seqs.subarray(from, to)),
      blob(codes.subarray(from * index.codeBytes, to * index.codeBytes)),
    ]);
  }
  writeMeta(sql, SNAPSHOT_KEY, stamp);
  return true;
}

function loadSnapshot(sql: Sql, index: BitIndex): boolean {
  index.clear();
  const parts = sql.all<{ seqs: unknown; codes: unknown }>(
    "SELECT seqs, codes FROM memory_index_snapshot ORDER BY part",
  );
  const decoded = parts.map((part) => ({ seqs: float64sOf(part.seqs), codes: bytesOf(part.codes) }));
  if (decoded.some((part) => part.codes.length !== part.seqs.length * index.codeBytes)) {
    index.clear();
    return false;
  }
  try {
    for (const part of decoded) index.addMany(part.seqs, part.codes);
  } catch (error) {
    // A seq twice or out of range: the snapshot is not what was written; the table is the truth.
    if (!(error instanceof RangeError)) throw error;
    index.clear();
    return false;
  }
  return true;
}

/**
 * Loads `memory_codes` page by page. Each page comes back as one row — the seqs joined by
 * commas and the codes as one hex string — because a million row objects cost more than the
 * codes themselves. False when a code has the wrong length.
 */
function loadCodes(sql: Sql, index: BitIndex): boolean {
  index.clear();
  let after = -1;
  for (;;) {
    const page = sql.get<{ n: number; last: number | null; seqs: string | null; codes: string | null }>(
      `SELECT count(*) AS n, max(memory_seq) AS last, group_concat(memory_seq) AS seqs,
         group_concat(hex(code), '') AS codes
       FROM (SELECT memory_seq, code FROM memory_codes WHERE memory_seq > ? ORDER BY memory_seq LIMIT ?)`,
      [after, PAGE_ROWS],
    );
    if (page === undefined || page.n === 0 || page.last === null) return true;
    const seqs = (page.seqs ?? "").split(",").map(Number);
    const codes = Buffer.from(page.codes ?? "", "hex");
    if (seqs.length !== page.n || codes.length !== page.n * index.codeBytes) {
      index.clear();
      return false;
    }
    index.addMany(seqs, codes);
    if (page.n < PAGE_ROWS) return true;
    after = page.last;
  }
}

export function readStamp(sql: Sql): string | undefined {
  return readMeta(sql, STAMP_KEY);
}

/** Records a fresh stamp and returns it. */
export function writeStamp(sql: Sql): string {
  const stamp = randomUUID();
  writeMeta(sql, STAMP_KEY, stamp);
  return stamp;
}

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Uint8Array) return value;
  throw new KernelError(MemoryErrorCode.storageFailed, "a stored vector code is not a BLOB");
}

function float64sOf(value: unknown): Float64Array {
  const bytes = bytesOf(value);
  if (bytes.byteLength % 8 !== 0) return new Float64Array(0);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
