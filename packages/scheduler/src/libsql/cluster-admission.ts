/**
 * Cluster admission on the durable queue's table: several kernel processes (nodes) share one
 * database (sqld) and take queued tasks only through `admitNext`, one conditional `UPDATE`
 * that picks the oldest task of the highest priority and admits it only while fewer than
 * `maxConcurrent` tasks hold a live lease. The database runs each statement alone (sqld's
 * primary serialises writes), so the check and the admission cannot be split by another
 * node: the global cap holds however many nodes ask at once.
 *
 * A queued task written by a node (`LibsqlTaskStore`'s `cluster` option) is that node's: only
 * it admits the task while its row in `scheduler_nodes` is live, so the node that accepted a
 * run runs it. A task nobody owns (reclaimed from a dead node, or queued without a node) and
 * a task of a node whose registration expired are anyone's.
 *
 * A lease that expires (its node died) stops counting against the cap at once; `reclaimExpired`
 * puts such tasks back in the queue. Heartbeats (`heartbeatNode` for all of a node's leases at
 * once, `renewLease` for one) keep a live node's leases.
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
  SET status = 'running', attempts = attempts + 1, lease_owner = ?1, lease_expires_at = ?2
  WHERE seq = (
      SELECT seq FROM scheduler_tasks WHERE status = 'queued'
        AND (lease_owner IS NULL OR lease_owner = ?1
          OR lease_owner NOT IN (SELECT id FROM scheduler_nodes WHERE expires_at > ?3))
      ORDER BY CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
        enqueued_at, seq
      LIMIT 1)
    AND (SELECT count(*) FROM scheduler_tasks WHERE status = 'running' AND lease_expires_at > ?3) < ?4
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

/** A node of the cluster as `scheduler_nodes` records it. */
export interface ClusterNodeRow {
  id: string;
  /** Where the node's HTTP API listens. */
  url: string;
  startedAt: number;
  heartbeatAt: number;
  /** The node counts as dead from this moment unless it heartbeats again. */
  expiresAt: number;
  /** Tasks it holds a live lease on. */
  running: number;
}

const NODE_UPSERT = `INSERT INTO scheduler_nodes (id, url, started_at, heartbeat_at, expires_at) VALUES (?1, ?2, ?3, ?3, ?4)
  ON CONFLICT (id) DO UPDATE SET url = ?2, heartbeat_at = ?3, expires_at = ?4`;
const RENEW_ALL = `UPDATE scheduler_tasks SET lease_expires_at = ?1
  WHERE lease_owner = ?2 AND status = 'running' AND lease_expires_at > ?3 RETURNING id`;

/**
 * The node's heartbeat, one transaction: records `node` as live until `now + leaseMs` and
 * extends every live lease it holds to the same moment. Returns the ids of the tasks whose
 * lease it still holds; a task the node runs that is missing here was reclaimed by another
 * node (its lease had expired) and must stop.
 */
export function heartbeatNode(
  database: Database,
  node: { id: string; url: string },
  now: number,
  leaseMs: number,
): string[] {
  return database.transaction(() => {
    database.run(NODE_UPSERT, [node.id, node.url, now, now + leaseMs]);
    return database.all<{ id: string }>(RENEW_ALL, [now + leaseMs, node.id, now]).map((row) => row.id);
  });
}

/**
 * A node leaving the cluster (shutdown), or starting again under the same id after it died:
 * every task it holds, queued or running, goes back to the queue for any node, and its
 * registration ends now. Returns how many tasks it released.
 */
export function releaseNode(database: Database, node: string, now: number): number {
  return database.transaction(() => {
    database.run("UPDATE scheduler_nodes SET expires_at = ? WHERE id = ?", [now, node]);
    return database.run(
      `UPDATE scheduler_tasks SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL
        WHERE lease_owner = ? AND status IN ('queued', 'running')`,
      [node],
    ).changes;
  });
}

/**
 * Hands one running task `node` holds back to the queue for any node (its run stopped here
 * without an end being stored). False when the node no longer holds it.
 */
export function releaseTask(database: Database, id: string, node: string): boolean {
  return (
    database.run(
      `UPDATE scheduler_tasks SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL
        WHERE id = ? AND lease_owner = ? AND status = 'running'`,
      [id, node],
    ).changes === 1
  );
}

/** Every node registered in the database with the tasks it holds a live lease on, by id. */
export function listNodes(database: Database, now: number): ClusterNodeRow[] {
  return database
    .all<{ id: string; url: string; started_at: number; heartbeat_at: number; expires_at: number; running: number }>(
      `SELECT n.id, n.url, n.started_at, n.heartbeat_at, n.expires_at,
          (SELECT count(*) FROM scheduler_tasks t
            WHERE t.lease_owner = n.id AND t.status = 'running' AND t.lease_expires_at > ?) AS running
        FROM scheduler_nodes n ORDER BY n.id`,
      [now],
    )
    .map((row) => ({
      id: row.id,
      url: row.url,
      startedAt: Number(row.started_at),
      heartbeatAt: Number(row.heartbeat_at),
      expiresAt: Number(row.expires_at),
      running: Number(row.running),
    }));
}
