/**
 * LibsqlGoalScheduleStore: scheduled goals and their firing state in `oxios.db`, through
 * `@oxios/database`. One row per schedule; every `save` is its own committed statement (a
 * schedule changes at most once per firing), so the state a restart reads is the last one
 * written. A row that cannot be read back is skipped with an error log naming it, never
 * dropped from the file.
 */
import { KernelError, type Logger } from "@oxios/core";
import { acquireDatabase, type Database, type DatabaseSource, type MigrationSet, migrate } from "@oxios/database";
import { SchedulerErrorCode } from "../error-codes.ts";
import { type GoalSchedule, parseGoalSchedule } from "../goal-schedule.ts";
import type { GoalScheduleStore, StoredGoalSchedule } from "../goal-schedule-store.ts";

export type LibsqlGoalScheduleStoreOptions = DatabaseSource & { logger?: Logger };

interface Row {
  name: string;
  definition: string;
  created_at: number;
  updated_at: number;
  next_fire_at: number | null;
  last_fired_at: number | null;
  last_task_id: string | null;
  fired: number;
  skipped: number;
}

export const GOAL_SCHEDULE_MIGRATIONS: MigrationSet = {
  prefix: "schedule_",
  migrations: [
    {
      version: 1,
      sql: `
        CREATE TABLE schedule_goals (
          name TEXT PRIMARY KEY,
          definition TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          next_fire_at INTEGER,
          last_fired_at INTEGER,
          last_task_id TEXT,
          fired INTEGER NOT NULL DEFAULT 0,
          skipped INTEGER NOT NULL DEFAULT 0
        );
      `,
    },
  ],
};

const UPSERT = `INSERT INTO schedule_goals (name, definition, created_at, updated_at, next_fire_at, last_fired_at,
  last_task_id, fired, skipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, created_at = excluded.created_at,
  updated_at = excluded.updated_at, next_fire_at = excluded.next_fire_at, last_fired_at = excluded.last_fired_at,
  last_task_id = excluded.last_task_id, fired = excluded.fired, skipped = excluded.skipped`;

export class LibsqlGoalScheduleStore implements GoalScheduleStore {
  readonly #database: Database;
  readonly #release: () => void;
  readonly #logger: Logger | undefined;
  #closed = false;

  private constructor(database: Database, release: () => void, logger: Logger | undefined) {
    this.#database = database;
    this.#release = release;
    this.#logger = logger?.child({ component: "scheduler.libsql-goal-schedules" });
  }

  /**
   * Opens the store on `url` (closed by `close()`) or a shared `database` (left open) and
   * brings its table to the current schema.
   *
   * Throws: the `DATABASE_*` codes of `openDatabase` and `migrate`.
   */
  static async open(options: LibsqlGoalScheduleStoreOptions): Promise<LibsqlGoalScheduleStore> {
    const { database, release } = await acquireDatabase(
      options,
      options.logger === undefined ? {} : { logger: options.logger },
    );
    try {
      migrate(database, GOAL_SCHEDULE_MIGRATIONS, options.logger === undefined ? {} : { logger: options.logger });
    } catch (error) {
      release();
      throw error;
    }
    return new LibsqlGoalScheduleStore(database, release, options.logger);
  }

  load(): StoredGoalSchedule[] {
    this.#checkOpen();
    const records: StoredGoalSchedule[] = [];
    for (const row of this.#database.all<Row>("SELECT * FROM schedule_goals ORDER BY name")) {
      const record = this.#decode(row);
      if (record !== undefined) records.push(record);
    }
    return records;
  }

  save(record: StoredGoalSchedule): void {
    this.#checkOpen();
    this.#database.run(UPSERT, [
      record.schedule.name,
      JSON.stringify(record.schedule),
      record.createdAt,
      record.updatedAt,
      record.nextFireAt ?? null,
      record.lastFiredAt ?? null,
      record.lastTaskId ?? null,
      record.fired,
      record.skipped,
    ]);
  }

  remove(name: string): boolean {
    this.#checkOpen();
    return this.#database.run("DELETE FROM schedule_goals WHERE name = ?", [name]).changes > 0;
  }

  /** Closes the database when this store opened it; a shared one stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
  }

  #checkOpen(): void {
    if (this.#closed) throw new KernelError(SchedulerErrorCode.scheduleStoreClosed, "the schedule store is closed");
  }

  #decode(row: Row): StoredGoalSchedule | undefined {
    let schedule: GoalSchedule;
    try {
      const stored = JSON.parse(row.definition) as GoalSchedule;
      schedule = parseGoalSchedule(stored, stored.source);
    } catch (error) {
      this.#logger?.error("stored schedule cannot be read back; leaving it out", { name: row.name, error });
      return undefined;
    }
    return {
      schedule,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
      fired: Number(row.fired),
      skipped: Number(row.skipped),
      ...(row.next_fire_at === null ? {} : { nextFireAt: Number(row.next_fire_at) }),
      ...(row.last_fired_at === null ? {} : { lastFiredAt: Number(row.last_fired_at) }),
      ...(row.last_task_id === null ? {} : { lastTaskId: row.last_task_id }),
    };
  }
}
