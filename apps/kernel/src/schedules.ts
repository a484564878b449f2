/**
 * Scheduled goals in the kernel: `GoalSchedules` (from `@oxios/scheduler`) over the durable
 * store in `oxios.db`, firing on the kernel's Clock into the direct runs (so every firing is
 * admitted by the scheduler like any run, under the caps, rates and budgets), for the HTTP
 * API, the CLI and the operator-tier `schedule_*` tools.
 *
 * Who may define what: `config.toml` schedules are read-only to the API and the tools
 * (`SCHEDULER_SCHEDULE_READ_ONLY`); the API may name any profile; an agent may schedule goals only for
 * the default agent or for its own profile (`SCHEDULE_AGENT_DENIED`), so a tool call cannot
 * hand work to a more powerful profile.
 */

import { type Clock, KernelError, type Logger } from "@oxios/core";
import type { EventPublisher } from "@oxios/event-bus";
import { RuntimeErrorCode } from "@oxios/runtime";
import {
  type GoalSchedule,
  type GoalScheduleInput,
  type GoalScheduleSource,
  type GoalScheduleStore,
  GoalSchedules,
  type GoalScheduleView,
  type ManualRunResult,
  parseGoalSchedule,
  SchedulerErrorCode,
} from "@oxios/scheduler";
import type { AgentIdentity, ScheduleInfo, SchedulePort } from "@oxios/tools";
import { KernelErrorCode } from "./error-codes.ts";
import type { RunService } from "./runs.ts";

export interface ScheduleServiceOptions {
  clock: Clock;
  logger: Logger;
  events: EventPublisher;
  store: GoalScheduleStore;
  runs: RunService;
  /** Whether a profile of that name exists now. */
  profileExists: (name: string) => boolean;
}

export class ScheduleService {
  readonly #options: ScheduleServiceOptions;
  readonly #schedules: GoalSchedules;

  constructor(options: ScheduleServiceOptions) {
    this.#options = options;
    this.#schedules = new GoalSchedules({
      clock: options.clock,
      store: options.store,
      events: options.events,
      logger: options.logger,
      start: async (firing) => {
        const started = await options.runs.start({
          goal: firing.schedule.goal,
          ...(firing.schedule.agent === undefined ? {} : { agent: firing.schedule.agent }),
        });
        return { taskId: started.taskId, finished: options.runs.finished(started.taskId) ?? Promise.resolve() };
      },
    });
  }

  /** Loads the stored schedules with the configured ones and applies the missed-fire policies. */
  open(configured: readonly GoalSchedule[]): void {
    const missed = this.#schedules.open(configured);
    if (missed.ran.length + missed.skipped.length > 0) {
      this.#options.logger.info("schedules missed firings while the kernel was down", { ...missed });
    }
  }

  reconfigure(configured: readonly GoalSchedule[]): void {
    this.#schedules.reconfigure(configured);
  }

  list(): GoalScheduleView[] {
    return this.#schedules.list();
  }

  /** Throws `SCHEDULER_SCHEDULE_NOT_FOUND`. */
  get(name: string): GoalScheduleView {
    const view = this.#schedules.get(name);
    if (view === undefined) {
      throw new KernelError(SchedulerErrorCode.scheduleNotFound, `no schedule named ${name}`, { details: { name } });
    }
    return view;
  }

  /**
   * Creates (`replace: false`) or replaces a schedule. Throws `SCHEDULER_SCHEDULE_INVALID` naming the
   * field, `AGENT_PROFILE_NOT_FOUND`, `SCHEDULER_SCHEDULE_EXISTS`, `SCHEDULER_SCHEDULE_READ_ONLY`.
   */
  put(input: GoalScheduleInput, source: GoalScheduleSource, options: { replace: boolean }): GoalScheduleView {
    const schedule = parseGoalSchedule(input, source);
    if (schedule.agent !== undefined && !this.#options.profileExists(schedule.agent)) {
      throw new KernelError(RuntimeErrorCode.agentProfileNotFound, `no agent profile named ${schedule.agent}`, {
        details: { field: "agent", agent: schedule.agent },
      });
    }
    return this.#schedules.put(schedule, options);
  }

  /** Throws `SCHEDULER_SCHEDULE_NOT_FOUND`, `SCHEDULER_SCHEDULE_READ_ONLY`. */
  remove(name: string): void {
    this.#schedules.remove(name);
  }

  /** Throws `SCHEDULER_SCHEDULE_NOT_FOUND`, `SCHEDULER_SCHEDULE_BUSY`; rejects with what starting the run rejects with. */
  run(name: string): Promise<ManualRunResult> {
    return this.#schedules.runNow(name);
  }

  /** No more firings (shutdown's stop-intake step). */
  stop(): void {
    this.#schedules.stop();
  }

  /** Joins the bookkeeping of started firings (after the runs were stopped). */
  close(): Promise<void> {
    return this.#schedules.close();
  }

  /** The `schedule_*` tools' port. */
  toolPort(): SchedulePort {
    const info = (view: GoalScheduleView): ScheduleInfo => {
      const { createdAt: _created, updatedAt: _updated, fired: _fired, skipped: _skipped, ...rest } = view;
      const { running: _running, queued: _queued, ...shown } = rest;
      return shown;
    };
    const allowed = (agent: string | undefined, caller: AgentIdentity) => {
      if (agent === undefined || agent === caller.profile) return;
      throw new KernelError(
        KernelErrorCode.scheduleAgentDenied,
        `an agent may schedule goals only for the default agent or its own profile${caller.profile === undefined ? "" : ` (${caller.profile})`}, not for ${agent}`,
        { details: { field: "agent", agent } },
      );
    };
    return {
      list: async () => this.list().map(info),
      put: async (input, caller) => {
        allowed(input.agent, caller);
        const exists = this.#schedules.get(input.name) !== undefined;
        return info(this.put(input, "agent", { replace: exists }));
      },
      remove: async (name) => this.remove(name),
      run: async (name, caller) => {
        allowed(this.get(name).agent, caller);
        const result = await this.run(name);
        return result.started ? { started: true, taskId: result.taskId } : { started: false, queued: true };
      },
    };
  }
}
