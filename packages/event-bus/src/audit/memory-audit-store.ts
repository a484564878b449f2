/**
 * MemoryAuditStore: the portable audit store. "Durable" here means committed to this
 * process's memory, so it suits tests, short-lived embedders and runtimes without a file
 * system; use the libsql store when entries must survive the process.
 *
 * A store can be seeded with entries and a chain state (for example re-imported from an
 * export); entries are kept sorted by seq, as a database's primary key would keep them.
 */

import { KernelError } from "@oxios/core";
import { EventBusErrorCode } from "../error-codes.ts";
import { type AuditChainState, type AuditEntry, EMPTY_CHAIN, PRUNED_HASH } from "./audit-entry.ts";
import { type AuditQuery, type AuditStore, DEFAULT_QUERY_LIMIT } from "./audit-store.ts";

export interface MemoryAuditStoreSeed {
  entries: readonly AuditEntry[];
  state: AuditChainState;
}

export class MemoryAuditStore implements AuditStore {
  #entries: AuditEntry[];
  #start = 0;
  #state: AuditChainState;
  #closed = false;

  constructor(seed?: MemoryAuditStoreSeed) {
    this.#entries = seed === undefined ? [] : [...seed.entries].sort((a, b) => a.seq - b.seq);
    this.#state = seed?.state ?? EMPTY_CHAIN;
  }

  state(): Promise<AuditChainState> {
    return this.#guard(() => this.#state);
  }

  append(entries: readonly AuditEntry[], expectedLastSeq: number): Promise<void> {
    return this.#guard(() => {
      if (this.#state.lastSeq !== expectedLastSeq) {
        throw new KernelError(EventBusErrorCode.auditHeadMoved, "the audit chain head moved; another writer appended", {
          details: { expectedLastSeq, lastSeq: this.#state.lastSeq },
        });
      }
      const last = entries[entries.length - 1];
      if (last === undefined) return;
      for (const entry of entries) this.#entries.push(Object.freeze({ ...entry }));
      this.#state = { ...this.#state, lastSeq: last.seq, lastHash: last.hash };
    });
  }

  prune(firstSeq: number): Promise<AuditChainState> {
    return this.#guard(() => {
      if (firstSeq <= this.#state.firstSeq) return this.#state;
      const index = this.#indexOf(firstSeq);
      const first = this.#entries[index];
      if (first === undefined || first.seq !== firstSeq) {
        throw new KernelError(EventBusErrorCode.auditStoreFailed, `cannot prune to seq ${firstSeq}: no such entry`);
      }
      this.#entries[index] = Object.freeze({ ...first, prevHash: PRUNED_HASH });
      this.#start = index;
      // Compact lazily so pruning one entry per append stays O(1) amortized.
      if (this.#start > 1024 && this.#start * 2 > this.#entries.length) {
        this.#entries = this.#entries.slice(this.#start);
        this.#start = 0;
      }
      this.#state = { ...this.#state, firstSeq, anchor: first.prevHash };
      return this.#state;
    });
  }

  read(fromSeq: number, limit: number): Promise<AuditEntry[]> {
    return this.#guard(() => {
      const index = this.#indexOf(fromSeq);
      return this.#entries.slice(index, index + Math.max(0, limit));
    });
  }

  query(filter: AuditQuery): Promise<AuditEntry[]> {
    return this.#guard(() => {
      const limit = filter.limit ?? DEFAULT_QUERY_LIMIT;
      const found: AuditEntry[] = [];
      const start = filter.afterSeq === undefined ? this.#start : this.#indexOf(filter.afterSeq + 1);
      for (let index = start; index < this.#entries.length && found.length < limit; index++) {
        const entry = this.#entries[index] as AuditEntry;
        if (filter.actor !== undefined && entry.actor !== filter.actor) continue;
        if (filter.action !== undefined && entry.action !== filter.action) continue;
        if (filter.from !== undefined && entry.at < filter.from) continue;
        if (filter.to !== undefined && entry.at >= filter.to) continue;
        found.push(entry);
      }
      return found;
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** First index at or after `#start` whose seq is ≥ `seq` (entries are sorted by seq). */
  #indexOf(seq: number): number {
    let low = this.#start;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#entries[middle] as AuditEntry).seq < seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #guard<T>(operation: () => T): Promise<T> {
    if (this.#closed)
      return Promise.reject(new KernelError(EventBusErrorCode.auditStoreClosed, "the audit store is closed"));
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
