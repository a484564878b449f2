/**
 * The TaskStore port: where a durable scheduler writes its tasks. The scheduler decides
 * admission in memory (one synchronous function) and tells the store what happened through
 * `write`, which must not block: implementations buffer and commit in groups (`flush`).
 * After a restart `recover` hands back what to run again.
 *
 * Implementations: `LibsqlTaskStore.open` on `@oxios/scheduler/libsql` (one process per `file:`
 * database; with its `cluster` option, one node of several sharing a served database, whose
 * admissions go through `admitNext`: see the package README, "Cluster admission").
 */
import type { Priority, TaskError, TaskStatus } from "./task.ts";

/** A task as the store keeps it. */
export interface StoredTask {
  id: string;
  priority: Priority;
  rateKey: string;
  agentId?: string;
  /** The agent profile it runs under (a cluster's per-profile cap counts by it). */
  profile?: string;
  idempotencyKey?: string;
  payload?: unknown;
  createdAt: number;
  enqueuedAt: number;
  status: TaskStatus;
  attempts: number;
  /** The scheduler (process) holding the lease while running. */
  leaseOwner?: string;
  /** A running task whose lease expired belongs to a dead (or stuck) owner. */
  leaseExpiresAt?: number;
  finishedAt?: number;
  error?: TaskError;
}

/** One change, in the order the scheduler made them. */
export type TaskStoreWrite =
  | {
      kind: "queued";
      task: StoredTask;
      /**
       * The scheduler made the task's id itself (a UUIDv7 of its own plus a counter), or its
       * caller made it just now (`TaskSpec.freshId`), so no stored task can hold it: a store
       * need not look for one. Absent for any other caller's id.
       */
      ownId?: true;
    }
  | { kind: "admitted"; id: string; attempt: number; owner: string; at: number; leaseExpiresAt: number }
  | { kind: "renewed"; id: string; leaseExpiresAt: number }
  | {
      kind: "finished";
      id: string;
      status: "completed" | "failed" | "cancelled" | "reaped";
      at: number;
      error?: TaskError;
    };

export interface RecoveredTasks {
  /** Tasks to queue again, in their original admission order (priority, age, submission). */
  queued: StoredTask[];
  /** Of `queued`, the ones that were running under an expired lease (their next run is a retry). */
  retried: string[];
  /**
   * Now failed in the store: running under an expired lease with `attempts >= maxAttempts`
   * (`SCHEDULER_ATTEMPTS_EXHAUSTED`), or a row that cannot be read (`SCHEDULER_STORE_CORRUPT`).
   */
  failed: StoredTask[];
  /** The earliest lease still valid (another owner, or a dead one not yet expired). */
  nextLeaseExpiryAt?: number;
}

export interface TaskStore {
  /**
   * Records one change. Synchronous and non-blocking: it validates and buffers (throwing
   * `SCHEDULER_STORE_INVALID` for a payload it cannot keep) and the change becomes durable at
   * the next group commit. Changes are applied in call order.
   */
  write(change: TaskStoreWrite): void;
  /** Resolves when every change written so far is durable. */
  flush(): Promise<void>;
  /**
   * Atomically takes over the work of dead owners: queued tasks, and running tasks whose
   * lease expired at or before `now` — or, with `takeOverRunning`, every running task of
   * another owner (the caller knows it is the only live one) — requeued, or failed with
   * `SCHEDULER_ATTEMPTS_EXHAUSTED` once `attempts >= maxAttempts`. Flushes first.
   */
  recover(options: {
    now: number;
    owner: string;
    maxAttempts: number;
    takeOverRunning?: boolean;
  }): Promise<RecoveredTasks>;
  /**
   * The newest task submitted with idempotency key `key` at or after `since`, if the store
   * keeps one. Synchronous (a point read), so the scheduler's duplicate check stays one
   * synchronous step; optional for stores that cannot answer synchronously.
   */
  findByIdempotencyKey?(key: string, since: number): StoredTask | undefined;
  /** The stored task with this id, if any (synchronous, like `findByIdempotencyKey`; optional). */
  get?(id: string): StoredTask | undefined;
  /** Flushes and releases the store. */
  close(): Promise<void>;
}
