/**
 * The audit store port: where a trail keeps its entries. Two implementations ship:
 * `MemoryAuditStore` (portable, here) and `LibsqlAuditStore` (`@oxios/event-bus/libsql`).
 *
 * Contract for implementations:
 * - `append` writes all entries and the new chain head in ONE transaction and resolves only
 *   when that transaction is durable. It fails with `AUDIT_HEAD_MOVED` (writing nothing) when
 *   the stored head is not `expectedLastSeq`, so two writers can never fork the chain.
 * - `appendOnHead` (optional) reads the stored head (seq + hash) inside its write transaction
 *   and chains the entries onto it there: several writers on one database (kernel nodes on one
 *   sqld) take turns on the write lock and never see a moved head.
 * - `prune(firstSeq)` deletes every entry below `firstSeq`, sets the new first entry's
 *   `prevHash` to `pruned` and records the hash it replaced as the chain's `anchor`, in one
 *   transaction.
 * - `read` and `query` return entries in ascending `seq`.
 * - Failures are `KernelError`s with stable codes (`AUDIT_STORE_CLOSED`, `AUDIT_STORE_FAILED`, …).
 */

import type { AuditChainState, AuditEntry } from "./audit-entry.ts";

export interface AuditQuery {
  actor?: string;
  action?: string;
  /** Inclusive lower bound on `at` (Unix ms). */
  from?: number;
  /** Exclusive upper bound on `at` (Unix ms). */
  to?: number;
  /** Only entries with a greater seq (for paging). */
  afterSeq?: number;
  /** At most this many entries (default 1000). */
  limit?: number;
}

export interface AuditStore {
  state(): Promise<AuditChainState>;
  append(entries: readonly AuditEntry[], expectedLastSeq: number): Promise<void>;
  /**
   * Reads the stored head inside one write transaction, calls `chain(head)` (synchronous) for
   * the entries that follow it, writes them and the new head, and resolves with them once the
   * transaction is durable. Optional: a trail without it uses `append` and retries on
   * `AUDIT_HEAD_MOVED`.
   */
  appendOnHead?(chain: (head: AuditChainState) => AuditEntry[]): Promise<AuditEntry[]>;
  prune(firstSeq: number): Promise<AuditChainState>;
  /** Up to `limit` entries with `seq >= fromSeq`, ascending. */
  read(fromSeq: number, limit: number): Promise<AuditEntry[]>;
  query(filter: AuditQuery): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

export const DEFAULT_QUERY_LIMIT = 1000;
