/**
 * LibsqlRunJournal: the run journal in `oxios.db` through `@oxios/database`. A run's record is
 * one row of `run_records`, each step one row of `run_steps`; every write goes through the
 * handle's group commit (`GroupCommit.for`), so the writes of many runs within one window —
 * and the scheduler's, when the task store shares the handle — commit in one transaction.
 * Known secrets are redacted from every record and step before they are stored. In a cluster
 * (`leaseOwner`) a node's writes for a run another node holds are not stored. A write the
 * database does not take for a while — out of reach, its write lock held past the busy
 * timeout, its disk full — fails `RUN_JOURNAL_UNAVAILABLE`, on which a run stops without an
 * end and continues from its journal later (`DirectRuns`); any other fails `RUN_JOURNAL_FAILED`.
 */

import { KernelError, type Logger, noRedaction, type Redactor } from "@oxios/core";
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
import { RuntimeErrorCode } from "../error-codes.ts";
import type { JournalledRun, RunJournal, RunRequestDetails, RunStep } from "../run-journal.ts";
import type { RunRecord } from "../run-record.ts";

export type LibsqlRunJournalOptions = DatabaseSource & {
  /**
   * The group-commit window in ms of a handle opened here (a shared handle keeps its own);
   * 0: the end of the event loop's turn. Default `GroupCommit`'s: 0 on a file, 2 on a served database.
   */
  groupCommitMs?: number;
  /** Replaces known secrets in every record and step before it is stored. */
  redactor?: Redactor;
  /**
   * In a cluster, this node's id: a step or a record change of a run whose scheduler task
   * another node holds (`scheduler_tasks.lease_owner`, on the same database) is not stored —
   * decided inside the commit, so a node that lost a run's lease cannot add to the journal the
   * run's next attempt reads. A run without a task row, or one nobody holds, is written as usual.
   */
  leaseOwner?: string;
  logger?: Logger;
};

/** The journal's schema, under the `run_` prefix. */
export const RUN_JOURNAL_MIGRATIONS: MigrationSet = {
  prefix: "run_",
  migrations: [
    {
      version: 1,
      sql: `
        CREATE TABLE run_records (
          task_id TEXT PRIMARY KEY,
          status TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          finished_at INTEGER,
          request TEXT NOT NULL,
          record TEXT NOT NULL
        );
        CREATE INDEX run_records_unfinished ON run_records (created_at) WHERE status IN ('queued', 'running');
        CREATE INDEX run_records_by_finished_at ON run_records (finished_at) WHERE finished_at IS NOT NULL;
        CREATE TABLE run_steps (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          task_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          step TEXT NOT NULL
        );
        CREATE INDEX run_steps_by_run ON run_steps (task_id, seq);
      `,
    },
  ],
};

const INSERT = `INSERT INTO run_records (task_id, status, created_at, finished_at, request, record)
  VALUES (?, ?, ?, ?, ?, ?)`;
const UPDATE = "UPDATE run_records SET status = ?, finished_at = ?, record = ? WHERE task_id = ?";
const APPEND = "INSERT INTO run_steps (task_id, kind, step) VALUES (?, ?, ?)";
/** The task is not held by another node (the second parameter): `leaseOwner`'s fence. */
const NOT_HELD_ELSEWHERE =
  "NOT EXISTS (SELECT 1 FROM scheduler_tasks WHERE id = ? AND lease_owner IS NOT NULL AND lease_owner <> ?)";
const UPDATE_FENCED = `${UPDATE} AND ${NOT_HELD_ELSEWHERE}`;
const APPEND_FENCED = `INSERT INTO run_steps (task_id, kind, step) SELECT ?, ?, ? WHERE ${NOT_HELD_ELSEWHERE}`;
const FINISHED = "('completed', 'failed', 'cancelled')";
/**
 * What the database answers while it does not take writes for a while, nothing of the write
 * stored: out of reach, its write lock held past the busy timeout, its disk full. A run stops
 * there without an end and continues from its journal (`RUN_JOURNAL_UNAVAILABLE`); any other
 * failure is `RUN_JOURNAL_FAILED`.
 */
const TRANSIENT = new Set<string>([DatabaseErrorCode.unavailable, DatabaseErrorCode.busy, DatabaseErrorCode.full]);

export class LibsqlRunJournal implements RunJournal {
  readonly #database: Database;
  readonly #release: () => void;
  readonly #committer: GroupCommit;
  readonly #redactor: Redactor;
  readonly #leaseOwner: string | undefined;
  #closed = false;

  private constructor(database: Database, release: () => void, options: LibsqlRunJournalOptions) {
    this.#database = database;
    this.#release = release;
    this.#redactor = options.redactor ?? noRedaction;
    this.#leaseOwner = options.leaseOwner;
    this.#committer = GroupCommit.for(database, {
      ...(options.groupCommitMs === undefined ? {} : { windowMs: options.groupCommitMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  /**
   * Opens the journal on `url` (closed by `close()`) or on a shared `database` (left open),
   * and brings its tables to the current schema.
   *
   * Throws: the `DATABASE_*` codes of `openDatabase` and `migrate`.
   */
  static async open(options: LibsqlRunJournalOptions): Promise<LibsqlRunJournal> {
    const { database, release } = await acquireDatabase(
      options,
      options.logger === undefined ? {} : { logger: options.logger },
    );
    try {
      migrate(database, RUN_JOURNAL_MIGRATIONS, options.logger === undefined ? {} : { logger: options.logger });
    } catch (error) {
      release();
      throw error;
    }
    return new LibsqlRunJournal(database, release, options);
  }

  create(run: JournalledRun): Promise<void> {
    const record = this.#redactor.redactValue(run.record);
    return this.#write({
      sql: INSERT,
      params: [
        record.taskId,
        record.status,
        record.createdAt,
        record.finishedAt ?? null,
        JSON.stringify(this.#redactor.redactValue(run.request)),
        JSON.stringify(record),
      ],
    });
  }

  update(record: RunRecord): Promise<void> {
    const redacted = this.#redactor.redactValue(record);
    const params = [redacted.status, redacted.finishedAt ?? null, JSON.stringify(redacted), redacted.taskId];
    const owner = this.#leaseOwner;
    return this.#write(
      owner === undefined
        ? { sql: UPDATE, params }
        : { sql: UPDATE_FENCED, params: [...params, redacted.taskId, owner] },
    );
  }

  append(taskId: string, step: RunStep): Promise<void> {
    const params = [taskId, step.kind, JSON.stringify(this.#redactor.redactValue(step))];
    const owner = this.#leaseOwner;
    return this.#write(
      owner === undefined ? { sql: APPEND, params } : { sql: APPEND_FENCED, params: [...params, taskId, owner] },
    );
  }

  async get(taskId: string): Promise<RunRecord | undefined> {
    const row = this.#read(() =>
      this.#database.get<{ record: string }>("SELECT record FROM run_records WHERE task_id = ?", [taskId]),
    );
    return row === undefined ? undefined : (JSON.parse(row.record) as RunRecord);
  }

  async load(taskId: string): Promise<{ run: JournalledRun; steps: RunStep[] } | undefined> {
    return this.#read(() => {
      const row = this.#database.get<{ record: string; request: string }>(
        "SELECT record, request FROM run_records WHERE task_id = ?",
        [taskId],
      );
      if (row === undefined) return undefined;
      const steps = this.#database
        .all<{ step: string }>("SELECT step FROM run_steps WHERE task_id = ? ORDER BY seq", [taskId])
        .map((step) => JSON.parse(step.step) as RunStep);
      return { run: decode(row), steps };
    });
  }

  async unfinished(): Promise<JournalledRun[]> {
    return this.#read(() =>
      this.#database
        .all<{ record: string; request: string }>(
          "SELECT record, request FROM run_records WHERE status IN ('queued', 'running') ORDER BY created_at",
        )
        .map(decode),
    );
  }

  /**
   * A run's steps journalled after the step `afterSeq` (0: from the first), oldest first, at
   * most `limit`, each with its `seq`. Seqs grow in commit order across every writer of the
   * database (the primary serialises write transactions), so a reader that asks again after
   * the last seq it saw never misses a step nor sees one twice — on any node of a cluster.
   *
   * Throws: `RUN_JOURNAL_CLOSED`; `RUN_JOURNAL_FAILED` (the database's coded error as `cause`).
   */
  async stepsAfter(taskId: string, afterSeq: number, limit = 500): Promise<Array<{ seq: number; step: RunStep }>> {
    return this.#read(() =>
      this.#database
        .all<{ seq: number | bigint; step: string }>(
          "SELECT seq, step FROM run_steps WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?",
          [taskId, afterSeq, Math.max(1, Math.floor(limit))],
        )
        .map((row) => ({ seq: Number(row.seq), step: JSON.parse(row.step) as RunStep })),
    );
  }

  /** The number of steps journalled for a run (for tests and inspection). */
  stepCount(taskId: string): number {
    return this.#read(
      () =>
        this.#database.get<{ n: number }>("SELECT count(*) AS n FROM run_steps WHERE task_id = ?", [taskId])?.n ?? 0,
    );
  }

  async prune(options: { finishedBefore: number; keep: number }): Promise<number> {
    return this.#read(() =>
      this.#database.transaction(() => {
        const doomed = this.#database
          .all<{ task_id: string }>(
            `SELECT task_id FROM run_records WHERE status IN ${FINISHED} AND finished_at < ?
             UNION
             SELECT task_id FROM (SELECT task_id FROM run_records WHERE status IN ${FINISHED}
               ORDER BY finished_at DESC, task_id DESC LIMIT -1 OFFSET ?)`,
            [options.finishedBefore, Math.max(0, Math.floor(options.keep))],
          )
          .map((row) => row.task_id);
        for (const taskId of doomed) {
          this.#database.run("DELETE FROM run_steps WHERE task_id = ?", [taskId]);
          this.#database.run("DELETE FROM run_records WHERE task_id = ?", [taskId]);
        }
        return doomed.length;
      }),
    );
  }

  /** Commits what is buffered, then closes the database when the journal opened it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#committer.flush();
    } finally {
      this.#release();
    }
  }

  async #write(statement: Statement): Promise<void> {
    if (this.#closed) throw new KernelError(RuntimeErrorCode.journalClosed, "the run journal is closed");
    try {
      await this.#committer.write([statement]);
    } catch (error) {
      if (TRANSIENT.has(KernelError.from(error).code)) {
        throw new KernelError(
          RuntimeErrorCode.journalUnavailable,
          "the run journal's database does not take writes now",
          {
            cause: error,
          },
        );
      }
      throw new KernelError(RuntimeErrorCode.journalFailed, "a run journal write failed", { cause: error });
    }
  }

  #read<T>(body: () => T): T {
    if (this.#closed) throw new KernelError(RuntimeErrorCode.journalClosed, "the run journal is closed");
    try {
      return body();
    } catch (error) {
      throw KernelError.from(error, RuntimeErrorCode.journalFailed, "reading the run journal failed");
    }
  }
}

function decode(row: { record: string; request: string }): JournalledRun {
  return { record: JSON.parse(row.record) as RunRecord, request: JSON.parse(row.request) as RunRequestDetails };
}
