/**
 * GoalSchedules: fires scheduled goals on the injected Clock. It holds one timer, armed for
 * the earliest due schedule; when it fires, every due schedule starts its goal through
 * `start` (the kernel's direct runs, so caps, rates and budgets hold like for any run) and
 * is re-armed for its next instant after now.
 *
 * - Missed firings: at `open`, a schedule whose stored due time has passed was due while
 *   nothing ran. `missed = "skip"` drops those firings (one `schedule.skipped`), `"run-once"`
 *   fires once now for all of them; either way the schedule then waits for its next instant.
 * - Overlap: while a firing's run goes on, a new firing is skipped (`overlap = "skip"`) or
 *   waits and starts when that run has finished (`"queue"`; at most one waits, later ones are
 *   coalesced into it). Either way a schedule never has two runs at once.
 * - State changes are synchronous and written to the store in the same step, so nothing
 *   interleaves between a change and its write; no lock is needed.
 *
 * Every firing publishes `schedule.fired` (with the run's `taskId`) or `schedule.skipped`
 * (with the reason); definitions publish `schedule.created` / `updated` / `removed`. The
 * kernel's audit subscriber records them all.
 */

import { type Clock, KernelError, type Logger, type Timer } from "@oxios/core";
import { createEvent, type EventPublisher, type KernelEventOf, type KernelEventType } from "@oxios/event-bus";
import { SchedulerErrorCode } from "./error-codes.ts";
import { type GoalSchedule, nextFireAfter } from "./goal-schedule.ts";
import type { GoalScheduleStore, StoredGoalSchedule } from "./goal-schedule-store.ts";

export type FireTrigger = "timer" | "missed" | "manual" | "queued";

/** What `start` is asked to run. */
export interface ScheduleFiring {
  schedule: GoalSchedule;
  /** The instant the firing was due (for `manual`, when it was asked for). */
  scheduledAt: number;
  trigger: FireTrigger;
}

/** A run `start` began: its id, and a promise that settles when it has finished. */
export interface StartedRun {
  taskId: string;
  finished: Promise<unknown>;
}

/** A schedule with its firing state, as the API shows it. */
export interface GoalScheduleView extends GoalSchedule {
  createdAt: number;
  updatedAt: number;
  nextFireAt?: number;
  lastFiredAt?: number;
  lastTaskId?: string;
  fired: number;
  skipped: number;
  /** Runs of this schedule going on now (0 or 1). */
  running: number;
  /** Whether a firing waits for the running one (`overlap = "queue"`). */
  queued: boolean;
}

export interface GoalSchedulesOptions {
  clock: Clock;
  store: GoalScheduleStore;
  /**
   * Starts the goal as a run. Rejecting means the firing did not start (it counts as skipped
   * with `reason: "failed"`). `finished` may reject; that is logged, never thrown.
   */
  start(firing: ScheduleFiring): Promise<StartedRun>;
  events?: EventPublisher;
  logger?: Logger;
  /** Event source name. Default `scheduler.schedules`. */
  source?: string;
}

/** What `runNow` did: started a run, or queued the firing behind the running one. */
export type ManualRunResult = { started: true; taskId: string } | { started: false; queued: true };

/** What `open` found of firings missed while the kernel was down. */
export interface MissedReport {
  ran: string[];
  skipped: string[];
}

interface LiveState {
  /** Firings started and not yet finished (a start still in progress counts). */
  running: number;
  queued?: { scheduledAt: number };
}

type FireOutcome =
  | { outcome: "started"; run: Promise<StartedRun | undefined> }
  | { outcome: "skipped" | "queued" | "coalesced" };

/** Counting missed instants stops here (an every-second schedule down for a week is not walked through). */
const MAX_COUNTED_MISSES = 10_000;

export class GoalSchedules {
  readonly #options: GoalSchedulesOptions;
  readonly #source: string;
  readonly #records = new Map<string, StoredGoalSchedule>();
  readonly #live = new Map<string, LiveState>();
  /** Bookkeeping of every started firing (its start and its run's end); joined by `close`. */
  readonly #tasks = new Set<Promise<void>>();
  #timer: { timer: Timer; at: number } | undefined;
  #opened = false;
  #stopped = false;

  constructor(options: GoalSchedulesOptions) {
    this.#options = options;
    this.#source = options.source ?? "scheduler.schedules";
  }

  /**
   * Loads the stored schedules, replaces the config-defined ones with `configured`, applies
   * each schedule's missed-fire policy to due times that passed while nothing ran, and arms
   * the timer. Call once.
   *
   * Throws: `SCHEDULE_STORE_FAILED` / `DATABASE_*` from the store.
   */
  open(configured: readonly GoalSchedule[] = []): MissedReport {
    if (this.#opened)
      throw new KernelError(SchedulerErrorCode.schedulesNotOpen, "GoalSchedules.open was already called");
    this.#opened = true;
    for (const record of this.#options.store.load()) this.#records.set(record.schedule.name, record);
    this.#syncConfigured(configured, { keepDueTimes: true });
    const now = this.#options.clock.now();
    const report: MissedReport = { ran: [], skipped: [] };
    for (const record of [...this.#records.values()]) {
      const due = record.nextFireAt;
      if (due === undefined || due >= now || !record.schedule.enabled) continue;
      record.nextFireAt = this.#next(record, now);
      if (record.schedule.missed === "run-once") {
        this.#write(record);
        this.#fire(record, due, "missed");
        report.ran.push(record.schedule.name);
      } else {
        record.skipped += 1;
        this.#write(record);
        this.#publish("schedule.skipped", {
          scheduleId: record.schedule.name,
          scheduledAt: due,
          reason: "missed",
          missed: this.#countMissed(record, due, now),
        });
        report.skipped.push(record.schedule.name);
      }
    }
    this.#arm();
    return report;
  }

  /** Replaces the config-defined schedules (SIGHUP reload); running firings go on. */
  reconfigure(configured: readonly GoalSchedule[]): void {
    this.#checkOpen();
    this.#syncConfigured(configured, { keepDueTimes: true });
    this.#arm();
  }

  list(): GoalScheduleView[] {
    return [...this.#records.values()]
      .sort((a, b) => (a.schedule.name < b.schedule.name ? -1 : 1))
      .map((record) => this.#view(record));
  }

  get(name: string): GoalScheduleView | undefined {
    const record = this.#records.get(name);
    return record === undefined ? undefined : this.#view(record);
  }

  /**
   * Creates a schedule (or replaces one when `replace`), due next at its first instant after
   * now. Throws `SCHEDULER_SCHEDULE_EXISTS` (creating a taken name), `SCHEDULER_SCHEDULE_READ_ONLY` (the name is
   * defined in config.toml).
   */
  put(schedule: GoalSchedule, options: { replace: boolean }): GoalScheduleView {
    this.#checkOpen();
    const existing = this.#records.get(schedule.name);
    if (existing !== undefined && existing.schedule.source === "config" && schedule.source !== "config") {
      throw readOnly(schedule.name);
    }
    if (existing !== undefined && !options.replace) {
      throw new KernelError(SchedulerErrorCode.scheduleExists, `a schedule named ${schedule.name} already exists`, {
        details: { field: "name", name: schedule.name },
      });
    }
    const record = this.#upsert(schedule, existing, false);
    this.#arm();
    return this.#view(record);
  }

  /**
   * Removes a schedule; a run it started goes on, a queued firing is dropped. Throws
   * `SCHEDULER_SCHEDULE_NOT_FOUND`, `SCHEDULER_SCHEDULE_READ_ONLY` (defined in config.toml).
   */
  remove(name: string): void {
    this.#checkOpen();
    const record = this.#records.get(name);
    if (record === undefined) throw notFound(name);
    if (record.schedule.source === "config") throw readOnly(name);
    this.#delete(record);
    this.#arm();
  }

  /**
   * Fires a schedule now (even a disabled one), under its overlap policy: while its run goes
   * on, `queue` waits behind it and `skip` refuses with `SCHEDULER_SCHEDULE_BUSY`. Resolves once the
   * run has started (or the firing is queued). Throws `SCHEDULER_SCHEDULE_NOT_FOUND`; rejects with what
   * `start` rejected with.
   */
  async runNow(name: string): Promise<ManualRunResult> {
    this.#checkOpen();
    const record = this.#records.get(name);
    if (record === undefined) throw notFound(name);
    const live = this.#liveOf(name);
    if (live.running > 0 && record.schedule.overlap === "skip") {
      throw new KernelError(
        SchedulerErrorCode.scheduleBusy,
        `schedule ${name} has a run going on and its overlap policy is skip`,
        {
          details: { name },
        },
      );
    }
    const outcome = this.#fire(record, this.#options.clock.now(), "manual", { rethrow: true });
    if (outcome.outcome !== "started") return { started: false, queued: true };
    const run = await outcome.run;
    if (run === undefined)
      throw new KernelError(SchedulerErrorCode.scheduleFireFailed, `schedule ${name} did not start`);
    return { started: true, taskId: run.taskId };
  }

  /** No more firings: the timer is cancelled and queued firings dropped. Runs going on are not touched. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.timer.cancel();
    this.#timer = undefined;
    for (const live of this.#live.values()) live.queued = undefined;
  }

  /** `stop`, then waits for the bookkeeping of every started firing (their runs must end: cancel them first). */
  async close(): Promise<void> {
    this.stop();
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
  }

  // ---- internals --------------------------------------------------------------------

  #checkOpen(): void {
    if (!this.#opened)
      throw new KernelError(SchedulerErrorCode.schedulesNotOpen, "GoalSchedules.open has not been called");
    if (this.#stopped)
      throw new KernelError(SchedulerErrorCode.schedulesStopped, "schedules are stopped (the kernel is shutting down)");
  }

  #syncConfigured(configured: readonly GoalSchedule[], options: { keepDueTimes: boolean }): void {
    const wanted = new Map(configured.map((schedule) => [schedule.name, schedule]));
    for (const record of [...this.#records.values()]) {
      if (record.schedule.source === "config" && !wanted.has(record.schedule.name)) this.#delete(record);
    }
    for (const schedule of wanted.values()) {
      const existing = this.#records.get(schedule.name);
      if (existing !== undefined && sameDefinition(existing.schedule, schedule)) continue;
      this.#upsert(schedule, existing, options.keepDueTimes);
    }
  }

  #upsert(schedule: GoalSchedule, existing: StoredGoalSchedule | undefined, keepDueTime: boolean): StoredGoalSchedule {
    const now = this.#options.clock.now();
    const record: StoredGoalSchedule = {
      schedule: { ...schedule },
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      fired: existing?.fired ?? 0,
      skipped: existing?.skipped ?? 0,
      ...(existing?.lastFiredAt === undefined ? {} : { lastFiredAt: existing.lastFiredAt }),
      ...(existing?.lastTaskId === undefined ? {} : { lastTaskId: existing.lastTaskId }),
    };
    const sameTiming =
      existing !== undefined &&
      existing.schedule.enabled === schedule.enabled &&
      existing.schedule.cron === schedule.cron &&
      existing.schedule.every === schedule.every &&
      existing.schedule.timezone === schedule.timezone;
    const next =
      keepDueTime && sameTiming && existing?.nextFireAt !== undefined ? existing.nextFireAt : this.#next(record, now);
    if (next !== undefined) record.nextFireAt = next;
    this.#records.set(schedule.name, record);
    this.#write(record);
    this.#publish(existing === undefined ? "schedule.created" : "schedule.updated", {
      scheduleId: schedule.name,
      source: schedule.source,
    });
    return record;
  }

  #delete(record: StoredGoalSchedule): void {
    const name = record.schedule.name;
    this.#records.delete(name);
    const live = this.#live.get(name);
    if (live !== undefined) {
      live.queued = undefined;
      if (live.running === 0) this.#live.delete(name);
    }
    this.#options.store.remove(name);
    this.#publish("schedule.removed", { scheduleId: name, source: record.schedule.source });
  }

  #next(record: StoredGoalSchedule, after: number): number | undefined {
    if (!record.schedule.enabled) return undefined;
    return nextFireAfter(record.schedule, after, record.createdAt);
  }

  #countMissed(record: StoredGoalSchedule, firstDue: number, now: number): number {
    let count = 0;
    for (let due: number | undefined = firstDue; due !== undefined && due < now; count++) {
      if (count >= MAX_COUNTED_MISSES) break;
      due = nextFireAfter(record.schedule, due, record.createdAt);
    }
    return count;
  }

  #liveOf(name: string): LiveState {
    let live = this.#live.get(name);
    if (live === undefined) {
      live = { running: 0 };
      this.#live.set(name, live);
    }
    return live;
  }

  /** Arms the one timer for the earliest due schedule (or none). */
  #arm(): void {
    if (this.#stopped) return;
    let earliest: number | undefined;
    for (const record of this.#records.values()) {
      const due = record.nextFireAt;
      if (due !== undefined && (earliest === undefined || due < earliest)) earliest = due;
    }
    if (this.#timer !== undefined && this.#timer.at === earliest) return;
    this.#timer?.timer.cancel();
    this.#timer = undefined;
    if (earliest === undefined) return;
    const at = earliest;
    const timer = this.#options.clock.setTimer(() => this.#onTimer(at), Math.max(0, at - this.#options.clock.now()));
    this.#timer = { timer, at };
  }

  #onTimer(at: number): void {
    if (this.#timer?.at === at) this.#timer = undefined;
    if (this.#stopped) return;
    const now = this.#options.clock.now();
    const due = [...this.#records.values()]
      .filter((record) => record.nextFireAt !== undefined && record.nextFireAt <= now)
      .sort((a, b) => (a.schedule.name < b.schedule.name ? -1 : 1));
    for (const record of due) {
      const scheduledAt = record.nextFireAt as number;
      const next = this.#next(record, now);
      if (next === undefined) delete record.nextFireAt;
      else record.nextFireAt = next;
      this.#write(record);
      this.#fire(record, scheduledAt, "timer");
    }
    this.#arm();
  }

  /** One firing under the overlap policy. Synchronous up to the call of `start`. */
  #fire(
    record: StoredGoalSchedule,
    scheduledAt: number,
    trigger: FireTrigger,
    options: { rethrow?: boolean } = {},
  ): FireOutcome {
    const name = record.schedule.name;
    const live = this.#liveOf(name);
    if (live.running > 0) {
      if (record.schedule.overlap === "queue" && live.queued === undefined) {
        live.queued = { scheduledAt };
        return { outcome: "queued" };
      }
      record.skipped += 1;
      this.#write(record);
      const reason = record.schedule.overlap === "queue" ? "coalesced" : "overlap";
      this.#publish("schedule.skipped", { scheduleId: name, scheduledAt, reason });
      return { outcome: reason === "coalesced" ? "coalesced" : "skipped" };
    }
    live.running += 1;
    const schedule = { ...record.schedule };
    let resolveRun: (run: StartedRun | undefined) => void = () => undefined;
    let rejectRun: (error: unknown) => void = () => undefined;
    const run = new Promise<StartedRun | undefined>((resolve, reject) => {
      resolveRun = resolve;
      rejectRun = reject;
    });
    const task: Promise<void> = this.#runFiring(
      name,
      schedule,
      scheduledAt,
      trigger,
      resolveRun,
      rejectRun,
      options.rethrow === true,
    ).finally(() => this.#tasks.delete(task));
    this.#tasks.add(task);
    return { outcome: "started", run };
  }

  async #runFiring(
    name: string,
    schedule: GoalSchedule,
    scheduledAt: number,
    trigger: FireTrigger,
    resolveRun: (run: StartedRun | undefined) => void,
    rejectRun: (error: unknown) => void,
    rethrow: boolean,
  ): Promise<void> {
    const live = this.#liveOf(name);
    try {
      let started: StartedRun;
      try {
        started = await this.#options.start({ schedule, scheduledAt, trigger });
      } catch (error) {
        const failure = KernelError.from(error, SchedulerErrorCode.scheduleFireFailed);
        const record = this.#records.get(name);
        if (record !== undefined) {
          record.skipped += 1;
          this.#write(record);
        }
        this.#options.logger?.warn("scheduled goal did not start", { schedule: name, code: failure.code });
        this.#publish("schedule.skipped", {
          scheduleId: name,
          scheduledAt,
          reason: "failed",
          error: { code: failure.code, message: failure.message },
        });
        if (rethrow) rejectRun(failure);
        else resolveRun(undefined);
        return;
      }
      const record = this.#records.get(name);
      if (record !== undefined) {
        record.fired += 1;
        record.lastFiredAt = scheduledAt;
        record.lastTaskId = started.taskId;
        this.#write(record);
      }
      this.#publish("schedule.fired", {
        scheduleId: name,
        scheduledAt,
        trigger,
        taskId: started.taskId,
        ...(schedule.agent === undefined ? {} : { agent: schedule.agent }),
      });
      resolveRun(started);
      try {
        await started.finished;
      } catch (error) {
        this.#options.logger?.info("scheduled run ended with an error", {
          schedule: name,
          taskId: started.taskId,
          code: KernelError.from(error).code,
        });
      }
    } finally {
      live.running -= 1;
      this.#afterRun(name, live);
    }
  }

  /** Starts the firing that waited for the run that just ended, if any. */
  #afterRun(name: string, live: LiveState): void {
    const queued = live.queued;
    const record = this.#records.get(name);
    if (record === undefined) {
      if (live.running === 0) this.#live.delete(name);
      return;
    }
    if (queued === undefined || live.running > 0 || this.#stopped) return;
    live.queued = undefined;
    this.#fire(record, queued.scheduledAt, "queued");
  }

  #write(record: StoredGoalSchedule): void {
    try {
      this.#options.store.save(record);
    } catch (error) {
      // The firing itself goes on; the stored state is behind until the next write succeeds.
      this.#options.logger?.error("schedule state not stored", { schedule: record.schedule.name, error });
    }
  }

  #view(record: StoredGoalSchedule): GoalScheduleView {
    const live = this.#live.get(record.schedule.name);
    return {
      ...record.schedule,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      fired: record.fired,
      skipped: record.skipped,
      running: live?.running ?? 0,
      queued: live?.queued !== undefined,
      ...(record.nextFireAt === undefined ? {} : { nextFireAt: record.nextFireAt }),
      ...(record.lastFiredAt === undefined ? {} : { lastFiredAt: record.lastFiredAt }),
      ...(record.lastTaskId === undefined ? {} : { lastTaskId: record.lastTaskId }),
    };
  }

  #publish<T extends KernelEventType>(type: T, payload: KernelEventOf<T>["payload"]): void {
    this.#options.events?.publish(createEvent(type, payload, this.#source, this.#options.clock.now()));
  }
}

function sameDefinition(a: GoalSchedule, b: GoalSchedule): boolean {
  return JSON.stringify(normalized(a)) === JSON.stringify(normalized(b));
}

function normalized(schedule: GoalSchedule): unknown[] {
  return [
    schedule.name,
    schedule.cron,
    schedule.every,
    schedule.timezone,
    schedule.goal,
    schedule.agent,
    schedule.missed,
    schedule.overlap,
    schedule.enabled,
    schedule.source,
  ];
}

function notFound(name: string): KernelError {
  return new KernelError(SchedulerErrorCode.scheduleNotFound, `no schedule named ${name}`, { details: { name } });
}

function readOnly(name: string): KernelError {
  return new KernelError(
    SchedulerErrorCode.scheduleReadOnly,
    `schedule ${name} is defined in config.toml; change it there and reload (SIGHUP)`,
    { details: { name } },
  );
}
