/**
 * LibsqlTaskStore: the durable queue on a libsql database through `@oxios/database`, for one
 * kernel process — or, with the `cluster` option, for one node of several sharing a served
 * database (see `cluster-admission.ts`). Writes are validated synchronously and buffered; with group commit (the
 * default) every write made within `groupCommitMs` lands in one transaction — shared with
 * every other store on the same `Database` handle (`GroupCommit.for`), so a caller's own row
 * written in the same tick as a task commits together with it — otherwise each write is its
 * own transaction.
 *
 * A write the database did not take for a while — a served database out of reach
 * (`DATABASE_UNAVAILABLE`), its write lock held by another connection past the busy timeout
 * or by another node (`DATABASE_BUSY`), the disk or the page limit full (`DATABASE_FULL`) — is
 * lost and counted (`lostWrites`), on a file as on a server, and the store goes on once the
 * database takes writes again: nothing of the lost transaction was written, and freeing the
 * disk or ending a backup that held the lock brings intake back without a restart. A warning
 * is logged at the first loss of a streak and an info line once a write lands again, so a
 * burst against a full disk writes two lines, not one per write. What such a loss leaves
 * behind is bounded:
 * - a lost insert was never acknowledged: the run journal's record of its run is in the same
 *   group commit (one transaction), so it was refused with it, and its caller with the
 *   database's code (`RunService.start`);
 * - a lost admission or finish leaves the row `queued` or `running` behind a run this process
 *   already ran. One kernel on a file settles it at its next start: recovery finishes a row
 *   whose run the journal holds as ended with the run's status (the kernel's `RunService`), and
 *   hands the others to the journal (`DirectRuns.resume`), which continues a run it holds
 *   unfinished from its last journalled step (a final answer journalled is not asked again, a
 *   journalled tool result is not run again). In a cluster the holder hands it back (`ClusterNode`) or its
 *   lease expires.
 *
 * Any other failed write — a corrupt file (`DATABASE_CORRUPT`), the operating system failing a
 * write (`DATABASE_IO_FAILED`: after a failed fsync the pages of earlier commits may be gone,
 * so what was acknowledged is in doubt) or a file that became read-only or was moved away
 * (`DATABASE_READONLY`, which no write outlives without reopening) — is kept as the store's
 * failure: every later write and flush throws it (`SCHEDULER_STORE_FAILED`), so a lost write
 * is never followed by others until the kernel restarts.
 */
import { KernelError, type Logger } from "@oxios/core";
import {
  acquireDatabase,
  type Database,
  DatabaseErrorCode,
  type DatabaseSource,
  GroupCommit,
  type MigrationSet,
  migrate,
  type Statement,
} from "@oxios/database";
import { SchedulerErrorCode } from "../error-codes.ts";
import type { Priority, TaskError, TaskStatus } from "../task.ts";
import type { RecoveredTasks, StoredTask, TaskStore, TaskStoreWrite } from "../task-store.ts";

export type LibsqlTaskStoreOptions = DatabaseSource & {
  /** Batch writes into one transaction per window (default true). */
  groupCommit?: boolean;
  /** The group-commit window in ms; 0: the end of the event loop's turn. Default `GroupCommit`'s: 0 on a file, 2 served. */
  groupCommitMs?: number;
  /**
   * SQLite `synchronous` of the connection the store opens from `url`: `normal` (default;
   * survives a process crash) or `full` (also power loss). A shared `database` keeps its own.
   */
  synchronous?: "normal" | "full";
  logger?: Logger;
  /**
   * A node of a cluster sharing this database (sqld): tasks it queues are written as this
   * node's (`lease_owner` = `node`, so only it admits them while it lives), an admission writes
   * nothing (the cluster's `admitBatch` leased the task for `leaseMs`; the node's heartbeat
   * renews it, `heartbeatNode`), nor does a run's own heartbeat, and a finish changes only a
   * task this node holds or nobody does. Absent: one process per database.
   */
  cluster?: { node: string; leaseMs: number };
};

interface Row {
  seq: number;
  id: string;
  priority: string;
  rate_key: string;
  agent_id: string | null;
  profile: string | null;
  idempotency_key: string | null;
  payload: string | null;
  created_at: number;
  enqueued_at: number;
  status: string;
  attempts: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  finished_at: number | null;
  error_code: string | null;
  error_message: string | null;
}

/**
 * The queue's schema. Version 1 is written with `IF NOT EXISTS`: files from before the shared
 * migration table already hold the table, and simply get version 1 recorded.
 */
export const SCHEDULER_MIGRATIONS: MigrationSet = {
  prefix: "scheduler_",
  migrations: [
    {
      version: 1,
      sql: `
        CREATE TABLE IF NOT EXISTS scheduler_tasks (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          priority TEXT NOT NULL,
          rate_key TEXT NOT NULL,
          agent_id TEXT,
          idempotency_key TEXT,
          payload TEXT,
          created_at INTEGER NOT NULL,
          enqueued_at INTEGER NOT NULL,
          status TEXT NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          lease_owner TEXT,
          lease_expires_at INTEGER,
          finished_at INTEGER,
          error_code TEXT,
          error_message TEXT
        );
        CREATE INDEX IF NOT EXISTS scheduler_tasks_by_status ON scheduler_tasks (status, lease_expires_at);
      `,
    },
    {
      version: 2,
      sql: `
        CREATE INDEX scheduler_tasks_by_idempotency_key ON scheduler_tasks (idempotency_key, created_at)
          WHERE idempotency_key IS NOT NULL;
        CREATE INDEX scheduler_tasks_by_finished_at ON scheduler_tasks (finished_at) WHERE finished_at IS NOT NULL;
      `,
    },
    {
      version: 3,
      sql: `
        CREATE TABLE scheduler_nodes (
          id TEXT PRIMARY KEY,
          url TEXT NOT NULL,
          started_at INTEGER NOT NULL,
          heartbeat_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        );
        CREATE INDEX scheduler_tasks_by_owner ON scheduler_tasks (lease_owner, status);
      `,
    },
    {
      // Cluster admission's per-profile caps and shared token buckets (`cluster-admission.ts`):
      // the task's profile, and one bucket row per rate key. Rows from before keep a NULL
      // profile, which no profile cap counts.
      version: 4,
      sql: `
        ALTER TABLE scheduler_tasks ADD COLUMN profile TEXT;
        CREATE INDEX scheduler_tasks_by_profile ON scheduler_tasks (profile, status) WHERE profile IS NOT NULL;
        CREATE TABLE scheduler_rate_buckets (
          rate_key TEXT PRIMARY KEY,
          units REAL NOT NULL,
          updated_at INTEGER NOT NULL
        );
      `,
    },
    {
      // Cluster admission reads each priority's queue in its order (time queued, then
      // submission) through this index and stops at the first admissible task, instead of
      // sorting every queued task on every admission. The expression must stay identical to
      // `CLASS` in cluster-admission.ts.
      version: 5,
      sql: `
        CREATE INDEX scheduler_tasks_admission_order ON scheduler_tasks (status,
          (CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END), enqueued_at, seq);
      `,
    },
  ],
};

const INSERT = `INSERT INTO scheduler_tasks (id, priority, rate_key, agent_id, profile, idempotency_key, payload,
  created_at, enqueued_at, status, attempts, lease_owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`;
const ADMIT = `UPDATE scheduler_tasks SET status = 'running', attempts = ?, lease_owner = ?, lease_expires_at = ?
  WHERE id = ?`;
const RENEW = "UPDATE scheduler_tasks SET lease_expires_at = ? WHERE id = ? AND status = 'running'";
const FINISH = `UPDATE scheduler_tasks SET status = ?, finished_at = ?, error_code = ?, error_message = ?,
  lease_owner = NULL, lease_expires_at = NULL WHERE id = ?`;
/** A node finishes only a task it holds, or one nobody holds (a reclaimed lease it still ran). */
const FINISH_HELD = `${FINISH} AND (lease_owner IS NULL OR lease_owner = ?)`;

const PRIORITY_SET = new Set<string>(["low", "normal", "high", "critical"]);
const TERMINAL = "('completed', 'failed', 'cancelled', 'reaped')";

export class LibsqlTaskStore implements TaskStore {
  readonly #database: Database;
  readonly #release: () => void;
  readonly #groupCommit: boolean;
  readonly #committer: GroupCommit;
  readonly #logger: Logger | undefined;
  readonly #cluster: { node: string; leaseMs: number } | undefined;
  /** Ids inserted by buffered writes, so a duplicate is caught before it reaches the disk. */
  readonly #pendingIds = new Set<string>();
  /** Tasks with an idempotency key inserted by buffered writes, for `findByIdempotencyKey`. */
  readonly #pendingKeys = new Map<string, StoredTask>();
  #failure: KernelError | undefined;
  #closed = false;
  #ownCommits = 0;
  #lostWrites = 0;
  /** Writes lost since the last one that landed (a streak is logged at its first loss and at its end). */
  #streak = 0;

  private constructor(database: Database, release: () => void, options: LibsqlTaskStoreOptions) {
    this.#database = database;
    this.#release = release;
    this.#groupCommit = options.groupCommit ?? true;
    this.#cluster = options.cluster;
    this.#logger = options.logger?.child({ component: "scheduler.libsql-store" });
    this.#committer = GroupCommit.for(database, {
      ...(options.groupCommitMs === undefined ? {} : { windowMs: options.groupCommitMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  /** Writes lost because the database did not take them for a while (see the module comment). */
  get lostWrites(): number {
    return this.#lostWrites;
  }

  /** Transactions committed on this store's database handle (for tests and the benchmark). */
  get commits(): number {
    return this.#groupCommit ? this.#committer.commits : this.#ownCommits;
  }

  /**
   * Opens the queue on `url` (closed by `close()`) or on a shared `database` (left open), and
   * brings its table to the current schema.
   *
   * Throws: the `DATABASE_*` codes of `openDatabase` and `migrate`.
   */
  static async open(options: LibsqlTaskStoreOptions): Promise<LibsqlTaskStore> {
    const { database, release } = await acquireDatabase(options, {
      synchronous: options.synchronous ?? "normal",
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    try {
      migrate(database, SCHEDULER_MIGRATIONS, options.logger === undefined ? {} : { logger: options.logger });
    } catch (error) {
      release();
      throw error;
    }
    return new LibsqlTaskStore(database, release, options);
  }

  write(change: TaskStoreWrite): void {
    this.#checkUsable();
    // In a cluster a run's heartbeat writes nothing: the node's heartbeat renews all its leases.
    // Nor does an admission: the cluster's admission (`admitBatch`) leased the task — status,
    // attempts, owner, expiry — in the statement that granted it. A write here would only repeat
    // that, and one committed after a stall past the lease would take back a lease another
    // node holds by then.
    if ((change.kind === "renewed" || change.kind === "admitted") && this.#cluster !== undefined) return;
    const statement = this.#toStatement(change);
    const inserted = change.kind === "queued" ? change.task : undefined;
    if (!this.#groupCommit) {
      this.#commitAlone(statement, change.kind);
      if (inserted !== undefined) this.#pendingIds.delete(inserted.id);
      return;
    }
    const key = inserted?.idempotencyKey;
    if (key !== undefined && inserted !== undefined) this.#pendingKeys.set(key, inserted);
    this.#committer.write([statement]).then(
      () => {
        this.#landed();
        if (inserted === undefined) return;
        this.#pendingIds.delete(inserted.id);
        if (key !== undefined && this.#pendingKeys.get(key) === inserted) this.#pendingKeys.delete(key);
      },
      (error: unknown) => {
        if (inserted !== undefined) {
          this.#pendingIds.delete(inserted.id);
          if (key !== undefined && this.#pendingKeys.get(key) === inserted) this.#pendingKeys.delete(key);
        }
        if (this.#transient(error)) {
          this.#lost(error, change.kind);
          return;
        }
        // Nobody awaits a write: keep the failure; the next write or flush throws it.
        this.#failure ??= new KernelError(SchedulerErrorCode.storeFailed, "task store write failed", { cause: error });
      },
    );
  }

  async flush(): Promise<void> {
    this.#flushNow();
  }

  /**
   * The newest task submitted with `key` at or after `since`, if the store holds one: a
   * buffered insert, else a synchronous point read on an index.
   */
  findByIdempotencyKey(key: string, since: number): StoredTask | undefined {
    this.#checkUsable();
    const buffered = this.#pendingKeys.get(key);
    if (buffered !== undefined && buffered.createdAt >= since) return structuredClone(buffered);
    const row = this.#database.get<Row>(
      "SELECT * FROM scheduler_tasks WHERE idempotency_key = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 1",
      [key, since],
    );
    return row === undefined ? undefined : this.#decodeLoose(row);
  }

  /** The stored task with this id: a buffered insert's task is not seen until it commits. */
  get(id: string): StoredTask | undefined {
    this.#checkUsable();
    const row = this.#database.get<Row>("SELECT * FROM scheduler_tasks WHERE id = ?", [id]);
    return row === undefined ? undefined : this.#decodeLoose(row);
  }

  /**
   * Retention: deletes finished tasks (completed, failed, cancelled, reaped) that finished
   * before `finishedBefore`, and the oldest finished ones beyond the newest `keep`. Queued and
   * running tasks are never touched. Returns how many rows were deleted.
   *
   * Throws: `SCHEDULER_STORE_FAILED` (with the database's error as `cause`).
   */
  prune(options: { finishedBefore: number; keep: number }): number {
    this.#checkUsable();
    this.#flushNow();
    try {
      return this.#database.transaction(() => {
        const old = this.#database.run(`DELETE FROM scheduler_tasks WHERE status IN ${TERMINAL} AND finished_at < ?`, [
          options.finishedBefore,
        ]).changes;
        const surplus = this.#database.run(
          `DELETE FROM scheduler_tasks WHERE seq IN (SELECT seq FROM scheduler_tasks WHERE status IN ${TERMINAL}
             ORDER BY finished_at DESC, seq DESC LIMIT -1 OFFSET ?)`,
          [Math.max(0, Math.floor(options.keep))],
        ).changes;
        return old + surplus;
      });
    } catch (error) {
      throw KernelError.from(error, SchedulerErrorCode.storeFailed, "task store pruning failed");
    }
  }

  async recover(options: {
    now: number;
    owner: string;
    maxAttempts: number;
    takeOverRunning?: boolean;
  }): Promise<RecoveredTasks> {
    this.#checkUsable();
    this.#flushNow();
    const { now, maxAttempts, owner } = options;
    try {
      const { failed, retried, queued, next } = this.#database.transaction(() => {
        const failed: StoredTask[] = [];
        // With takeOverRunning every other owner is known to be dead (one kernel per home).
        const expired =
          options.takeOverRunning === true
            ? this.#database.all<Row>(
                `SELECT * FROM scheduler_tasks WHERE status = 'running'
                   AND (lease_expires_at <= ? OR lease_owner IS NOT ?) ORDER BY seq`,
                [now, owner],
              )
            : this.#database.all<Row>(
                "SELECT * FROM scheduler_tasks WHERE status = 'running' AND lease_expires_at <= ? ORDER BY seq",
                [now],
              );
        const retried: string[] = [];
        for (const row of expired) {
          if (row.attempts >= maxAttempts) {
            const error = {
              code: SchedulerErrorCode.attemptsExhausted,
              message: `task ${row.id} was still running after ${row.attempts} attempts (maxAttempts ${maxAttempts})`,
            };
            this.#database.run(
              `UPDATE scheduler_tasks SET status = 'failed', finished_at = ?, error_code = ?, error_message = ?,
                 lease_owner = NULL, lease_expires_at = NULL WHERE id = ?`,
              [now, error.code, error.message, row.id],
            );
            failed.push(this.#decodeLoose({ ...row, status: "failed", finished_at: now }, error));
          } else {
            this.#database.run(
              "UPDATE scheduler_tasks SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE id = ?",
              [row.id],
            );
            retried.push(row.id);
          }
        }
        const queued: StoredTask[] = [];
        for (const row of this.#database.all<Row>(
          "SELECT * FROM scheduler_tasks WHERE status = 'queued' ORDER BY seq",
        )) {
          const task = this.#decode(row);
          if (task !== undefined) {
            queued.push(task);
            continue;
          }
          const error = { code: SchedulerErrorCode.storeCorrupt, message: `task ${row.id} cannot be read back` };
          this.#logger?.error("unreadable task row; failing it", { taskId: row.id });
          this.#database.run(
            "UPDATE scheduler_tasks SET status = 'failed', finished_at = ?, error_code = ?, error_message = ? WHERE id = ?",
            [now, error.code, error.message, row.id],
          );
          failed.push(this.#decodeLoose({ ...row, status: "failed", finished_at: now }, error));
        }
        const next = this.#database.get<{ next: number | null }>(
          "SELECT MIN(lease_expires_at) AS next FROM scheduler_tasks WHERE status = 'running' AND lease_expires_at > ?",
          [now],
        )?.next;
        return { failed, retried, queued, next };
      });
      const retriedSet = new Set(retried);
      return {
        queued,
        retried: queued.filter((task) => retriedSet.has(task.id)).map((task) => task.id),
        failed,
        ...(next === null || next === undefined ? {} : { nextLeaseExpiryAt: next }),
      };
    } catch (error) {
      throw KernelError.from(error, SchedulerErrorCode.storeFailed, "task store recovery failed");
    }
  }

  /** Every stored task, in submission order (for inspection and tests). */
  list(): StoredTask[] {
    this.#flushNow();
    return this.#database.all<Row>("SELECT * FROM scheduler_tasks ORDER BY seq").map((row) => this.#decodeLoose(row));
  }

  /** Flushes, then closes the database when this store opened it; a shared one stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flushNow();
    this.#closed = true;
    this.#release();
  }

  // ---- internals --------------------------------------------------------------------

  #checkUsable(): void {
    if (this.#closed) throw new KernelError(SchedulerErrorCode.storeClosed, "the task store is closed");
    if (this.#failure !== undefined) throw this.#failure;
  }

  #toStatement(change: TaskStoreWrite): Statement {
    switch (change.kind) {
      case "queued": {
        const task = change.task;
        let payload: string | null = null;
        if (task.payload !== undefined) {
          try {
            payload = JSON.stringify(task.payload) ?? null;
          } catch (error) {
            throw new KernelError(
              SchedulerErrorCode.storeInvalid,
              `task ${task.id}: payload is not JSON-serializable`,
              {
                cause: error,
                details: { taskId: task.id },
              },
            );
          }
        }
        // An id the scheduler made itself is in no stored row (`ownId`): no point read for it.
        if (
          this.#pendingIds.has(task.id) ||
          (change.ownId !== true &&
            this.#database.get("SELECT 1 AS found FROM scheduler_tasks WHERE id = ?", [task.id]) !== undefined)
        ) {
          throw new KernelError(SchedulerErrorCode.taskDuplicate, `task ${task.id} already exists in the store`, {
            details: { taskId: task.id },
          });
        }
        this.#pendingIds.add(task.id);
        return {
          sql: INSERT,
          params: [
            task.id,
            task.priority,
            task.rateKey,
            task.agentId ?? null,
            task.profile ?? null,
            task.idempotencyKey ?? null,
            payload,
            task.createdAt,
            task.enqueuedAt,
            task.attempts,
            this.#cluster?.node ?? null,
          ],
        };
      }
      case "admitted":
        return { sql: ADMIT, params: [change.attempt, change.owner, change.leaseExpiresAt, change.id] };
      case "renewed":
        return { sql: RENEW, params: [change.leaseExpiresAt, change.id] };
      case "finished": {
        const params = [change.status, change.at, change.error?.code ?? null, change.error?.message ?? null, change.id];
        if (this.#cluster === undefined) return { sql: FINISH, params };
        return { sql: FINISH_HELD, params: [...params, this.#cluster.node] };
      }
    }
  }

  #flushNow(): void {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      this.#committer.flush();
    } catch (error) {
      // The buffered writes' own failures are counted (or kept) by their callbacks in `write`.
      if (this.#transient(error)) throw KernelError.from(error);
      this.#failure ??= new KernelError(SchedulerErrorCode.storeFailed, "task store write failed", { cause: error });
      throw this.#failure;
    }
  }

  #commitAlone(statement: Statement, kind: TaskStoreWrite["kind"]): void {
    try {
      this.#database.transaction(() => this.#database.run(statement.sql, statement.params));
      this.#ownCommits++;
      this.#landed();
    } catch (error) {
      if (this.#transient(error)) {
        this.#lost(error, kind);
        throw KernelError.from(error);
      }
      this.#failure = new KernelError(SchedulerErrorCode.storeFailed, "task store write failed", { cause: error });
      throw this.#failure;
    }
  }

  /**
   * A write the database did not take for a while, with nothing of it written: a served
   * database out of reach, a write lock another connection (or node) held past the busy
   * timeout, a full disk or page limit. The write is lost, the store is not broken (see the
   * module comment for what stays the store's failure, and why).
   */
  #transient(error: unknown): boolean {
    const code = KernelError.from(error).code;
    return code === DatabaseErrorCode.unavailable || code === DatabaseErrorCode.busy || code === DatabaseErrorCode.full;
  }

  /** Counts a lost write; the first of a streak is logged. */
  #lost(error: unknown, kind: TaskStoreWrite["kind"]): void {
    this.#lostWrites++;
    this.#streak++;
    if (this.#streak > 1) return;
    const cause = KernelError.from(error);
    this.#logger?.warn("task writes are being lost: the database does not take them", {
      code: cause.code,
      kind,
      error: cause.message,
    });
  }

  /** A write landed: a streak of lost ones, if any, has ended. */
  #landed(): void {
    if (this.#streak === 0) return;
    this.#logger?.info("task writes are stored again", { lost: this.#streak });
    this.#streak = 0;
  }

  /** A row as a StoredTask, or undefined when it cannot be trusted (bad priority or payload). */
  #decode(row: Row): StoredTask | undefined {
    if (!PRIORITY_SET.has(row.priority)) return undefined;
    if (row.payload !== null) {
      try {
        JSON.parse(row.payload);
      } catch {
        return undefined;
      }
    }
    return this.#decodeLoose(row);
  }

  #decodeLoose(row: Row, error?: TaskError): StoredTask {
    const task: StoredTask = {
      id: row.id,
      priority: (PRIORITY_SET.has(row.priority) ? row.priority : "normal") as Priority,
      rateKey: row.rate_key,
      createdAt: Number(row.created_at),
      enqueuedAt: Number(row.enqueued_at),
      status: row.status as TaskStatus,
      attempts: Number(row.attempts),
    };
    if (row.agent_id !== null) task.agentId = row.agent_id;
    if (row.profile !== null) task.profile = row.profile;
    if (row.idempotency_key !== null) task.idempotencyKey = row.idempotency_key;
    if (row.payload !== null) {
      try {
        task.payload = JSON.parse(row.payload);
      } catch (parseError) {
        this.#logger?.warn("task payload is not valid JSON; leaving it out", { taskId: row.id, error: parseError });
      }
    }
    if (row.lease_owner !== null) task.leaseOwner = row.lease_owner;
    if (row.lease_expires_at !== null) task.leaseExpiresAt = Number(row.lease_expires_at);
    if (row.finished_at !== null) task.finishedAt = Number(row.finished_at);
    const code = error?.code ?? row.error_code;
    if (code !== null && code !== undefined) task.error = { code, message: error?.message ?? row.error_message ?? "" };
    return task;
  }
}
