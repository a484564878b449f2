/**
 * Where scheduled goals and their firing state are kept, so a restart knows what was
 * defined, when each schedule was due next (a due time in the past at boot is a missed
 * firing) and what fired last. `InMemoryGoalScheduleStore` ships here; the libsql one is on
 * `@oxios/scheduler/libsql`.
 *
 * Contract for implementations:
 * - Synchronous: the engine changes its state and writes it in one step, so nothing can
 *   interleave between them.
 * - `save` replaces the record of that name whole; `remove` deletes it (false when absent).
 * - `load` returns every record, in name order.
 * - Durability: a write that returned survives a crash of the process.
 * - Failures: a `KernelError` (`SCHEDULE_STORE_FAILED` or the database layer's `DATABASE_*`).
 */

import type { GoalSchedule } from "./goal-schedule.ts";

/** A schedule as stored: its definition and its firing state. */
export interface StoredGoalSchedule {
  schedule: GoalSchedule;
  createdAt: number;
  updatedAt: number;
  /** The instant the schedule is due next; absent when it never fires again or is disabled. */
  nextFireAt?: number;
  /** The scheduled instant of the last firing that started a run. */
  lastFiredAt?: number;
  lastTaskId?: string;
  /** Firings that started a run. */
  fired: number;
  /** Firings skipped (overlap, missed while down, coalesced, or the run could not start). */
  skipped: number;
}

export interface GoalScheduleStore {
  load(): StoredGoalSchedule[];
  save(record: StoredGoalSchedule): void;
  remove(name: string): boolean;
}

/** Keeps the records in a map (copies in and out); for tests and kernels without a database. */
export class InMemoryGoalScheduleStore implements GoalScheduleStore {
  readonly #records = new Map<string, StoredGoalSchedule>();

  load(): StoredGoalSchedule[] {
    return [...this.#records.values()]
      .sort((a, b) => (a.schedule.name < b.schedule.name ? -1 : 1))
      .map((record) => structuredClone(record));
  }

  save(record: StoredGoalSchedule): void {
    this.#records.set(record.schedule.name, structuredClone(record));
  }

  remove(name: string): boolean {
    return this.#records.delete(name);
  }
}
