/**
 * Cluster admission on the durable queue's table: several kernel processes (nodes) share one
 * database (sqld) and take queued tasks only through `admitBatch` (`admitNext` is a batch of
 * one). One write transaction
 * (`BEGIN IMMEDIATE`: sqld's primary serialises writes, so no other node's write comes between
 * its statements) picks, of the tasks that may run now, the one of the highest effective
 * priority and admits it, and takes a token from the task's rate bucket (without any rate limit, the admitting
 * `UPDATE` alone, one statement, which the database runs atomically). A task may run now while
 * - fewer than `maxConcurrent` tasks hold a live lease in the whole cluster;
 * - fewer tasks of its profile hold a live lease than the profile's cap (`profileCaps`; a
 *   profile without a cap, or a task without a profile, is not limited here);
 * - its rate key's bucket in `scheduler_rate_buckets` holds a whole token at the node's `now`
 *   (`ratePerMinute`, `rateLimits`; a key without a finite rate is not limited).
 * A task held back by its profile's cap or its empty bucket does not hold back the tasks
 * behind it. The global cap, the profile caps and the buckets therefore hold however many
 * nodes ask at once: a 60/min bucket admits 60 a minute across the cluster, not 60 per node.
 *
 * The buckets are the scheduler's `TokenBucket` kept in the database: one row per rate key
 * with its tokens (in units of 1/60000 token) and the time they were counted at, full (one
 * minute's worth) when the row does not exist yet, refilled continuously from the `now` the
 * admitting node passes in. A node whose clock is behind the row's time refills nothing.
 *
 * A queued task written by a node (`LibsqlTaskStore`'s `cluster` option) is that node's: only
 * it admits the task while its row in `scheduler_nodes` is live, so the node that accepted a
 * run runs it. A task nobody owns (reclaimed from a dead node, or queued without a node) and
 * a task of a node whose registration expired are anyone's.
 *
 * A lease that expires (its node died) stops counting against the caps at once; `reclaimExpired`
 * puts such tasks back in the queue. Heartbeats (`heartbeatNode` for all of a node's leases at
 * once, `renewLease` for one) keep a live node's leases.
 * The order is the scheduler's: highest effective priority first, where waiting `agingMs`
 * raises a task's priority by one level, then the order of queueing.
 */

import type { Database } from "@oxios/database";
import { positiveInteger, positiveOrInfinite } from "../internal/limits.ts";

export interface AdmitNextOptions {
  /** The node taking the task; it becomes the task's `lease_owner`. */
  node: string;
  /** Tasks with a live lease, cluster-wide, above which nothing is admitted. */
  maxConcurrent: number;
  /** The time the lease is measured against, in ms since the epoch. */
  now: number;
  /** How long the lease lasts without a renewal, in ms. */
  leaseMs: number;
  /**
   * Tasks of a profile with a live lease, cluster-wide, at most: profile name → cap (a
   * positive integer). A profile not named here, and a task without a profile, has no cap.
   */
  profileCaps?: Readonly<Record<string, number>>;
  /**
   * Admissions per minute per rate key, cluster-wide (a bucket of one minute's worth); default
   * `Infinity`, no limit. The scheduler's `ratePerMinute`.
   */
  ratePerMinute?: number;
  /** Per-rate-key overrides of `ratePerMinute` (`Infinity`: no limit for that key). */
  rateLimits?: Readonly<Record<string, number>>;
  /**
   * Waiting this long raises a task's effective priority by one level, as the scheduler's
   * `agingMs`; default 60 000, `Infinity` for none. Every node must use the same value.
   */
  agingMs?: number;
}

export interface AdmittedTask {
  id: string;
  /** Counting this admission. */
  attempts: number;
}

/** A priority's class in the admission order, as `CLASS` has it. */
const QUEUE_CLASS: Readonly<Record<string, number>> = { critical: 0, high: 1, normal: 2, low: 3 };

/** One token in the bucket's units, as in `TokenBucket`: integer arithmetic with integer ms. */
const UNITS_PER_TOKEN = 60_000;

/** A priority's class in the admission order, as `scheduler_tasks_admission_order` indexes it: 0 is critical. */
const CLASS = "(CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END)";

/** A queued task ?1 may take: its own, nobody's, or a dead node's (`live`). */
const OWNED = "(lease_owner IS NULL OR lease_owner = ?1 OR lease_owner NOT IN (SELECT id FROM live))";
/** …and one its profile (`room`) and its rate key (`tokens`) let through now. */
const ADMISSIBLE = `${OWNED}
        AND (profile IS NULL OR profile NOT IN (SELECT profile FROM room WHERE n <= 0))
        AND rate_key NOT IN (SELECT rate_key FROM tokens WHERE n <= 0)`;
/**
 * The oldest tasks of one class that pass `admissible`, at most ?9, read in the order of
 * `scheduler_tasks_admission_order` (the walk stops at ?9). `ADMIT` and `ADMIT_UNLIMITED`
 * differ in the conditions they pass.
 */
const headsOf = (priorityClass: number, admissible: string) =>
  `SELECT * FROM (SELECT seq, enqueued_at, profile, rate_key, ${priorityClass} AS class FROM scheduler_tasks
      WHERE status = 'queued' AND ${CLASS} = ${priorityClass} AND ${admissible}
      ORDER BY enqueued_at, seq LIMIT ?9)`;
/** The heads of the four classes, highest first. */
const allHeads = (admissible: string) => [0, 1, 2, 3].map((one) => headsOf(one, admissible)).join(" UNION ALL ");
/** The scheduler's order of the candidates (see `ADMIT`). */
const POSITION = `CASE WHEN ?8 > 0 THEN enqueued_at + class * ?8 ELSE class END,
                  CASE WHEN ?8 > 0 THEN 0 ELSE enqueued_at END, seq`;
/** How many more tasks the cluster may run now, at most ?9. */
const FREE_SLOTS = `max(0, min(?9, ?4 - (SELECT count(*) FROM scheduler_tasks WHERE status = 'running' AND lease_expires_at > ?3)))`;
/**
 * ?1 node, ?2 lease expiry, ?3 now, ?4 maxConcurrent, ?5 profile caps (JSON object),
 * ?6 per-key rates (JSON object, 0 = no limit), ?7 the default rate (0 = no limit),
 * ?8 agingMs (0 = no aging), ?9 at most this many tasks.
 * `room`: per capped profile, the tasks it may still start; `tokens`: per rate key with a
 * bucket row and a rate, its whole tokens — only a key with a bucket row can be dry (a key
 * without one has a full bucket), so it reads the few bucket rows, never the queue.
 * `heads`: the oldest ?9 admissible tasks of each priority, each class found by walking
 * `scheduler_tasks_admission_order` (skipping profiles without room and keys without a token).
 * Within a priority the oldest has waited longest, so the first ?9 tasks in the scheduler's
 * order — `enqueued_at + class × agingMs` (every task ages at the same rate, so the order of
 * two tasks never changes), then the order of queueing; without aging, class first — are
 * among them; `candidates` numbers them in that order. Of those, a task is admitted when the
 * candidates before it of its profile number fewer than the profile's room and those of its
 * rate key fewer than the key's tokens (a key without a row: its rate's whole tokens, at least
 * one), so the caps and buckets hold for the whole batch; the first ?4 − (live leases) of
 * them, at most ?9, are taken. The first candidate always qualifies, so a batch of one is
 * exactly the next task that may run.
 */
const ADMIT = `UPDATE scheduler_tasks
  SET status = 'running', attempts = attempts + 1, lease_owner = ?1, lease_expires_at = ?2
  WHERE seq IN (
      WITH held AS (
          SELECT profile, count(*) AS n FROM scheduler_tasks
            WHERE status = 'running' AND lease_expires_at > ?3 AND profile IS NOT NULL GROUP BY profile),
        room AS MATERIALIZED (
          SELECT caps.key AS profile, caps.value - coalesce(held.n, 0) AS n
            FROM json_each(?5) AS caps LEFT JOIN held ON held.profile = caps.key),
        keyed AS (
          SELECT bucket.rate_key, bucket.units, bucket.updated_at, coalesce(rates.value, ?7) AS rate
            FROM scheduler_rate_buckets AS bucket LEFT JOIN json_each(?6) AS rates ON rates.key = bucket.rate_key),
        tokens AS MATERIALIZED (
          SELECT rate_key,
              CAST(min(rate * ${UNITS_PER_TOKEN}, units + max(0, ?3 - updated_at) * rate) / ${UNITS_PER_TOKEN} AS INTEGER) AS n
            FROM keyed WHERE rate > 0),
        live AS MATERIALIZED (SELECT id FROM scheduler_nodes WHERE expires_at > ?3),
        heads AS (${allHeads(ADMISSIBLE)}),
        candidates AS (
          SELECT seq, profile, rate_key, row_number() OVER (ORDER BY ${POSITION}) AS position FROM heads),
        ranked AS (
          SELECT seq, profile, rate_key, position,
              row_number() OVER (PARTITION BY profile ORDER BY position) AS in_profile,
              row_number() OVER (PARTITION BY rate_key ORDER BY position) AS in_key
            FROM candidates)
      SELECT seq FROM ranked
        WHERE (profile IS NULL
            OR in_profile <= coalesce((SELECT n FROM room WHERE room.profile = ranked.profile), in_profile))
          AND in_key <= coalesce((SELECT n FROM tokens WHERE tokens.rate_key = ranked.rate_key),
            CASE WHEN coalesce((SELECT value FROM json_each(?6) WHERE key = ranked.rate_key), ?7) > 0
              THEN max(1, CAST(coalesce((SELECT value FROM json_each(?6) WHERE key = ranked.rate_key), ?7) AS INTEGER))
              ELSE in_key END)
        ORDER BY position
        LIMIT ${FREE_SLOTS})
  RETURNING id, attempts, rate_key, priority, enqueued_at, seq`;

/**
 * `ADMIT` when no profile has a cap and no rate key a rate (`?5` is `{}`, `?6` has no rate
 * above 0 and `?7` is 0): then nothing but the global cap holds a task back, `room` and `tokens`
 * are empty and every candidate qualifies, so the first candidates in the scheduler's order are
 * taken — the tasks `ADMIT` takes, without its caps, buckets and window functions. In the
 * cluster bench's queue row (no caps, no rate) sqld spent about a quarter less time executing.
 */
const ADMIT_UNLIMITED = `UPDATE scheduler_tasks
  SET status = 'running', attempts = attempts + 1, lease_owner = ?1, lease_expires_at = ?2
  WHERE seq IN (
      WITH live AS MATERIALIZED (SELECT id FROM scheduler_nodes WHERE expires_at > ?3),
        heads AS (${allHeads(OWNED)})
      SELECT seq FROM heads ORDER BY ${POSITION} LIMIT ${FREE_SLOTS})
  RETURNING id, attempts, rate_key, priority, enqueued_at, seq`;

/**
 * ?1 rate key, ?2 its rate per minute, ?3 now, ?4 tokens: refills the bucket to `now`, then
 * takes ?4 tokens (a bucket without a row starts full).
 */
const TAKE_TOKENS = `INSERT INTO scheduler_rate_buckets (rate_key, units, updated_at)
    VALUES (?1, (?2 - ?4) * ${UNITS_PER_TOKEN}, ?3)
  ON CONFLICT (rate_key) DO UPDATE SET
    units = min(?2 * ${UNITS_PER_TOKEN}, units + max(0, ?3 - updated_at) * ?2) - ?4 * ${UNITS_PER_TOKEN},
    updated_at = max(updated_at, ?3)`;

const RENEW = `UPDATE scheduler_tasks SET lease_expires_at = ?
  WHERE id = ? AND status = 'running' AND lease_owner = ? AND lease_expires_at > ?`;

const FINISH = `UPDATE scheduler_tasks SET status = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
  WHERE id = ? AND status = 'running' AND lease_owner = ?`;

const RECLAIM = `UPDATE scheduler_tasks SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL
  WHERE status = 'running' AND lease_expires_at <= ?`;

/**
 * Admits the next queued task to `node` when the cluster's limits allow it (see the module
 * comment): `admitBatch` with a `limit` of 1. Returns `undefined` when nothing queued may run now.
 *
 * Throws: as `admitBatch`.
 */
export function admitNext(database: Database, options: AdmitNextOptions): AdmittedTask | undefined {
  return admitBatch(database, { ...options, limit: 1 })[0];
}

/**
 * Admits up to `limit` queued tasks to `node` in one statement, in admission order, as far as the
 * cluster's limits allow (see `ADMIT`): never more live leases than `maxConcurrent`, never more
 * of a profile than its cap, never more of a rate key than its bucket's whole tokens, which it
 * takes — in one write transaction when a rate key has a limit, otherwise in the one
 * statement, which the database runs atomically. A batch may leave a task that could run for
 * the next call (one behind a task of its profile that its bucket held back); the first task
 * that may run is always admitted, so calling again until nothing is admitted leaves nothing
 * admissible behind. Returns the admitted tasks in admission order (effective priority, then queueing); empty when nothing may
 * run now.
 *
 * Throws: `SCHEDULER_LIMIT_INVALID` for a cap or `limit` that is not a positive integer or a
 * rate that is not a positive number; the `DATABASE_*` codes of `@oxios/database`
 * (`DATABASE_UNAVAILABLE` while sqld is away; nothing of the admission is then committed).
 */
export function admitBatch(database: Database, options: AdmitNextOptions & { limit: number }): AdmittedTask[] {
  const limits = admissionLimits(options);
  const limit = positiveInteger("limit", options.limit, undefined) as number;
  const admit = (): AdmittedTask[] => {
    const rows = database.all<{
      id: string;
      attempts: number;
      rate_key: string;
      priority: string;
      enqueued_at: number;
      seq: number;
    }>(limits.unlimited ? ADMIT_UNLIMITED : ADMIT, [
      options.node,
      options.now + options.leaseMs,
      options.now,
      limits.maxConcurrent,
      limits.profileCaps,
      limits.rates,
      limits.defaultRate,
      limits.agingMs,
      limit,
    ]);
    const taken = new Map<string, number>();
    for (const row of rows) taken.set(row.rate_key, (taken.get(row.rate_key) ?? 0) + 1);
    for (const [key, count] of taken) {
      const rate = limits.rateOf(key);
      if (rate > 0) database.run(TAKE_TOKENS, [key, rate, options.now, count]);
    }
    // RETURNING gives the rows in no particular order: sort them as `ADMIT` ordered them.
    const order = (row: (typeof rows)[number]): [number, number, number] => {
      const priorityClass = QUEUE_CLASS[row.priority] ?? 3;
      const enqueuedAt = Number(row.enqueued_at);
      return limits.agingMs > 0
        ? [enqueuedAt + priorityClass * limits.agingMs, 0, Number(row.seq)]
        : [priorityClass, enqueuedAt, Number(row.seq)];
    };
    return rows
      .map((row) => ({ row, key: order(row) }))
      .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2])
      .map(({ row }) => ({ id: row.id, attempts: Number(row.attempts) }));
  };
  return limits.anyRate ? database.transaction(admit) : admit();
}

/**
 * Whether `admitBatch` under these limits may leave behind a task that could run (see
 * `admitBatch`): only when a profile has a cap or a rate key a finite rate. Without either a
 * batch admits everything that may run, up to its `limit`, and asking again finds nothing.
 */
export function batchMayLeaveTasks(
  limits: Pick<AdmitNextOptions, "profileCaps" | "ratePerMinute" | "rateLimits">,
): boolean {
  if (Object.keys(limits.profileCaps ?? {}).length > 0) return true;
  const finite = (rate: number | undefined) => rate !== undefined && Number.isFinite(rate);
  return finite(limits.ratePerMinute) || Object.values(limits.rateLimits ?? {}).some(finite);
}

/** The options as the statements bind them: caps and rates as JSON, 0 for "no rate limit" and "no aging". */
function admissionLimits(options: AdmitNextOptions) {
  const maxConcurrent = positiveInteger("maxConcurrent", options.maxConcurrent, undefined) as number;
  const caps: Record<string, number> = {};
  for (const [profile, cap] of Object.entries(options.profileCaps ?? {})) {
    caps[profile] = positiveInteger(`profileCaps.${profile}`, cap, undefined) as number;
  }
  const finiteOrZero = (rate: number) => (Number.isFinite(rate) ? rate : 0);
  const defaultRate = finiteOrZero(
    positiveOrInfinite("ratePerMinute", options.ratePerMinute, Number.POSITIVE_INFINITY),
  );
  const rates: Record<string, number> = {};
  for (const [key, rate] of Object.entries(options.rateLimits ?? {})) {
    rates[key] = finiteOrZero(positiveOrInfinite(`rateLimits.${key}`, rate, Number.POSITIVE_INFINITY));
  }
  const anyRate = defaultRate > 0 || Object.values(rates).some((rate) => rate > 0);
  return {
    maxConcurrent,
    agingMs: finiteOrZero(positiveOrInfinite("agingMs", options.agingMs, 60_000)),
    profileCaps: JSON.stringify(caps),
    rates: JSON.stringify(rates),
    defaultRate,
    anyRate,
    /** No cap but the global one, and no rate: `ADMIT_UNLIMITED` takes what `ADMIT` would. */
    unlimited: !anyRate && Object.keys(caps).length === 0,
    rateOf: (key: string) => (Object.hasOwn(rates, key) ? (rates[key] as number) : defaultRate),
  };
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
