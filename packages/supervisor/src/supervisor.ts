/**
 * Supervisor: owns every agent's lifecycle. Agents are spawned, run (always through the
 * scheduler, so every run is admitted), waited on and killed like processes.
 *
 * Kill really stops: a run's signal is its scheduler lease's signal, and kill, the per-run
 * timeout and the caller's signal abort it (`scheduler.abort`), as do scheduler cancel and
 * zombie reaping. A run still queued when it is killed or its caller aborts leaves the queue
 * at once (`scheduler.cancel`): it never starts and takes no slot and no rate token.
 *
 * The scheduler slot is the kernel's promise: a started run holds its slot until its function
 * has settled, never less. The run's promise settles as soon as the function honours the
 * signal; a function that ignores it is abandoned `killGraceMs` after the abort — its caller
 * gets the abort reason, it is counted in `stats().abandoned`, logged, and tracked until it
 * settles — but its slot stays taken until then, so work that ignores its signal cannot push
 * the kernel past `maxConcurrent` or the per-agent cap. (Only the scheduler itself takes a
 * slot back early: `Scheduler.cancel` of a running task, zombie reaping and a drain that
 * timed out.)
 *
 * Exactly one terminal state per agent: a kill that races a finishing run is decided by
 * whichever settles the run first, and a terminal agent ignores later kills.
 */

import {
  abortError,
  type Clock,
  CoreErrorCode,
  createConsoleLogger,
  KernelError,
  type Logger,
  newId,
  systemClock,
} from "@oxios/core";
import { createEvent, type EventPublisher, type KernelEventOf, type KernelEventType } from "@oxios/event-bus";
import type { AgentHandle, AgentSpec } from "./agent.ts";
import { type AgentStatus, assertTransition, isTerminal } from "./agent-status.ts";
import { SupervisorErrorCode } from "./error-codes.ts";
import type { AdmissionLease, AgentScheduler } from "./ports.ts";

export interface SupervisorOptions {
  scheduler: AgentScheduler;
  events?: EventPublisher;
  clock?: Clock;
  logger?: Logger;
  /** Default per-run timeout. Default 300 s. */
  defaultTimeoutMs?: number;
  /** How long a killed run may take to honour its signal before it is abandoned. Default 1 s. */
  killGraceMs?: number;
  /**
   * How many stopped or failed agents stay listed for `get`/`list` after they end; older
   * ones are forgotten first. Default 1,000. Live (idle or running) agents are never dropped.
   */
  retainEndedAgents?: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The run's id, which is also its scheduler task's id. Default a fresh id. */
  runId?: string;
  /** `runId` was made just now by the caller (`newId`) and is stored nowhere: the durable queue skips its lookup. */
  freshRunId?: boolean;
  /** Given to the scheduler task: a second run with the same key is refused while the key is held. */
  idempotencyKey?: string;
}

/** A lease the scheduler already granted (a recovered task), for `runLeased`. */
export interface GrantedLease extends AdmissionLease {
  readonly taskId: string;
}

export interface SupervisorStats {
  agents: number;
  byStatus: Record<AgentStatus, number>;
  runsStarted: number;
  runsCompleted: number;
  runsFailed: number;
  runsStopped: number;
  /** Killed runs whose function ignored the signal past the grace period. */
  abandoned: number;
  /** Abandoned functions that still have not settled; each still holds its scheduler slot. */
  abandonedStillRunning: number;
}

export interface SupervisorShutdownReport {
  /** Runs that settled on their own after the abort. */
  stoppedCleanly: number;
  /** Runs settled by the grace timer because their function ignored the abort. */
  forced: number;
  /** Functions still running (abandoned) when shutdown returned. */
  abandoned: number;
  /** True when every run settled before the timeout. */
  completed: boolean;
}

interface ActiveRun {
  readonly runId: string;
  readonly done: Promise<void>;
  /** Set once the scheduler admitted the run and the function started. */
  started: boolean;
  /** Why the run was killed, once it was. */
  killedBy: KernelError | undefined;
  /** The caller's abort, when it came before the run started (the run never starts). */
  cancelledBy: KernelError | undefined;
  forced: boolean;
  /** Answers the run's caller once its function is abandoned; the slot stays taken. */
  readonly abandon: (reason: KernelError) => void;
}

interface AgentRecord {
  readonly id: string;
  readonly spec: AgentSpec<never, unknown>;
  readonly createdAt: number;
  status: AgentStatus;
  runs: number;
  lastError: { code: string; message: string } | undefined;
  active: ActiveRun | undefined;
}

const SOURCE = "supervisor";

/**
 * Agents supervised like processes. Each public method's comment says how it fails
 * ("Throws:") and what a cancellation does to it ("Abort:"); `get`, `list`, `stats` and
 * `onAgentEnded` throw nothing and take no signal.
 */
export class Supervisor {
  readonly #scheduler: AgentScheduler;
  readonly #events: EventPublisher | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #defaultTimeoutMs: number;
  readonly #killGraceMs: number;
  readonly #retainEnded: number;
  /** Ended agents in the order they ended, for retention. */
  readonly #ended = new Set<string>();
  readonly #agents = new Map<string, AgentRecord>();
  readonly #abandonedWork = new Set<Promise<unknown>>();
  readonly #endListeners = new Set<(agentId: string) => void>();
  #closing = false;
  #counters = { runsStarted: 0, runsCompleted: 0, runsFailed: 0, runsStopped: 0, abandoned: 0 };

  constructor(options: SupervisorOptions) {
    this.#scheduler = options.scheduler;
    this.#events = options.events;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? createConsoleLogger({ level: "warn" });
    this.#defaultTimeoutMs = positive(options.defaultTimeoutMs ?? 300_000, "defaultTimeoutMs");
    this.#killGraceMs = positive(options.killGraceMs ?? 1_000, "killGraceMs");
    const retain = options.retainEndedAgents ?? 1_000;
    if (!Number.isInteger(retain) || retain < 0) {
      throw new KernelError(
        SupervisorErrorCode.agentSpecInvalid,
        `retainEndedAgents must be an integer ≥ 0, got ${retain}`,
      );
    }
    this.#retainEnded = retain;
  }

  /**
   * Registers an agent; it starts `idle`, ready to run.
   *
   * Throws: `SUPERVISOR_SHUTTING_DOWN` once shutdown began; `AGENT_SPEC_INVALID` for a spec
   * without a name or run function, or with a bad timeout or state hooks.
   */
  spawn<Input, Output>(spec: AgentSpec<Input, Output>): AgentHandle {
    this.#assertOpen();
    validateSpec(spec as AgentSpec<never, unknown>);
    const id = spec.id ?? newId(this.#clock.now());
    if (this.#agents.has(id)) {
      throw new KernelError(SupervisorErrorCode.agentSpecInvalid, `an agent with id ${id} already exists`, {
        details: { agentId: id },
      });
    }
    const record: AgentRecord = {
      id,
      spec: spec as AgentSpec<never, unknown>,
      createdAt: this.#clock.now(),
      status: "starting",
      runs: 0,
      lastError: undefined,
      active: undefined,
    };
    this.#agents.set(id, record);
    this.#publish("agent.created", {
      agentId: id,
      name: spec.name,
      ...(spec.seedId === undefined ? {} : { seedId: spec.seedId }),
    });
    this.#transition(record, "idle");
    return this.#handle(record);
  }

  /**
   * Runs the agent once with `input`, through the scheduler. Resolves with the function's
   * output (agent back to `idle`).
   *
   * Throws: `SUPERVISOR_SHUTTING_DOWN` once shutdown began; `AGENT_NOT_FOUND`;
   * `AGENT_NOT_RUNNABLE` for a stopped or failed agent; `AGENT_BUSY` while it has a run;
   * `AGENT_KILLED` (agent `stopped`); `TIMED_OUT` or the function's error (agent `failed`);
   * the scheduler's refusal (`SCHEDULER_DRAINING`, …).
   * Abort: `options.signal` cancels a queued run before it starts (`ABORTED`, no slot or rate
   * token taken) and aborts a running one's signal; the promise rejects once the function
   * honours it, at the latest `killGraceMs` later, and the slot is held until it settles.
   */
  run<Output = unknown>(agentId: string, input: unknown, options: RunOptions = {}): Promise<Output> {
    return this.#runOnce<Output>(agentId, options.runId, options, (record, active) =>
      // The scheduler's promise settles with the function (the slot is held until then).
      this.#scheduler.run(
        {
          id: active.runId,
          ...(options.runId === undefined || options.freshRunId === true ? { freshId: true } : {}),
          agentId,
          ...(record.spec.priority === undefined ? {} : { priority: record.spec.priority }),
          ...(record.spec.rateKey === undefined ? {} : { rateKey: record.spec.rateKey }),
          ...(record.spec.profile === undefined ? {} : { profile: record.spec.profile }),
          ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
        },
        (signal, lease) => this.#execute(record, active, input, signal, lease, options),
      ),
    );
  }

  /**
   * Runs the agent once inside a lease the scheduler has already granted — a recovered task
   * of the durable queue (`Scheduler.recover`) — with everything `run` gives a run: events,
   * kill, timeout and the caller's signal (through `scheduler.abort` on `lease.taskId`). The
   * run's id is the task's id. Resolves and rejects like `run`; the caller's runner returns
   * its promise to the scheduler, which completes or fails the task with it.
   *
   * Throws: as `run`, without the scheduler's refusals (the lease is already granted).
   * Abort: the lease's signal (a `Scheduler.cancel` or `abort` of its task) aborts the run's
   * signal, as the caller's signal does for `run`.
   */
  runLeased<Output = unknown>(
    agentId: string,
    input: unknown,
    lease: GrantedLease,
    options: Omit<RunOptions, "runId" | "idempotencyKey"> = {},
  ): Promise<Output> {
    return this.#runOnce<Output>(agentId, lease.taskId, options, (record, active) =>
      this.#execute(record, active, input, lease.signal, lease, options),
    );
  }

  async #runOnce<Output>(
    agentId: string,
    chosenRunId: string | undefined,
    options: RunOptions,
    start: (record: AgentRecord, active: ActiveRun) => Promise<unknown>,
  ): Promise<Output> {
    this.#assertOpen();
    const record = this.#require(agentId);
    if (isTerminal(record.status)) {
      throw new KernelError(
        SupervisorErrorCode.agentNotRunnable,
        `agent ${agentId} is ${record.status} and cannot run again`,
        {
          details: { agentId, status: record.status },
        },
      );
    }
    if (record.active !== undefined) {
      throw new KernelError(SupervisorErrorCode.agentBusy, `agent ${agentId} is already running`, {
        details: { agentId },
      });
    }
    const runId = chosenRunId ?? newId(this.#clock.now());

    let markDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      markDone = resolve;
    });
    // Settles with the scheduler's run, or earlier through `abandon` (see #settle).
    let answer: { resolve: (value: unknown) => void; reject: (reason: unknown) => void } | undefined;
    const answered = new Promise<unknown>((resolve, reject) => {
      answer = { resolve, reject };
    });
    const { resolve: deliver, reject: fail } = answer as NonNullable<typeof answer>;
    const active: ActiveRun = {
      runId,
      done,
      started: false,
      killedBy: undefined,
      cancelledBy: undefined,
      forced: false,
      abandon: fail,
    };
    record.active = active;
    const startedAt = this.#clock.now();
    // Linked before submission: an abort while the run waits in the queue must reach it too.
    const unlink = options.signal === undefined ? undefined : this.#linkCaller(active, options.signal);

    try {
      if (active.cancelledBy !== undefined) throw active.cancelledBy;
      // An abandoned function answers the caller earlier than `start` settles.
      start(record, active).then(deliver, fail);
      const output = await answered;
      if (active.killedBy !== undefined) throw active.killedBy;
      record.runs += 1;
      this.#counters.runsCompleted += 1;
      this.#transition(record, "idle");
      this.#publish("agent.completed", { agentId, runId, durationMs: this.#clock.now() - startedAt });
      return output as Output;
    } catch (caught) {
      record.runs += 1;
      if (active.killedBy !== undefined) {
        this.#counters.runsStopped += 1;
        const error = active.killedBy;
        this.#transition(record, "stopped");
        this.#publish("agent.stopped", {
          agentId,
          runId,
          reason: error.message,
          durationMs: this.#clock.now() - startedAt,
        });
        throw error;
      }
      const error = active.cancelledBy ?? KernelError.from(caught, SupervisorErrorCode.agentFailed);
      this.#counters.runsFailed += 1;
      record.lastError = { code: error.code, message: error.message };
      this.#transition(record, "failed");
      this.#publish("agent.failed", { agentId, runId, error: record.lastError });
      throw error;
    } finally {
      unlink?.();
      record.active = undefined;
      markDone();
    }
  }

  /**
   * Resolves with the agent's handle once its current run (if any) has settled.
   *
   * Throws: `AGENT_NOT_FOUND` for an unknown id; never the run's own error.
   * Abort: takes no signal; it waits as long as the run does (bounded by the run's timeout
   * and the kill grace).
   */
  async wait(agentId: string): Promise<AgentHandle> {
    const record = this.#require(agentId);
    if (record.active !== undefined) await record.active.done;
    return this.#handle(record);
  }

  /**
   * Stops the agent. A queued run is cancelled, a running one aborted; resolves once the run
   * has settled (bounded by the kill grace). Killing a terminal agent changes nothing.
   *
   * Throws: `AGENT_NOT_FOUND` for an unknown id. The killed run rejects with `AGENT_KILLED`.
   * Abort: takes no signal; it waits at most the kill grace for the run to settle.
   */
  async kill(agentId: string, reason = "killed"): Promise<AgentHandle> {
    const record = this.#require(agentId);
    if (isTerminal(record.status)) return this.#handle(record);
    const active = record.active;
    if (active === undefined) {
      this.#transition(record, "stopped");
      this.#publish("agent.stopped", { agentId, reason });
      return this.#handle(record);
    }
    if (active.killedBy === undefined && active.cancelledBy === undefined) {
      active.killedBy = new KernelError(SupervisorErrorCode.agentKilled, `agent ${agentId} killed: ${reason}`, {
        details: { reason },
      });
      // A queued run leaves the queue; a running one is aborted and keeps its slot until it settles.
      if (active.started) this.#scheduler.abort(active.runId, active.killedBy);
      else this.#scheduler.cancel(active.runId, reason);
    }
    await active.done;
    return this.#handle(record);
  }

  /**
   * Calls `listener` with the agent's id each time an agent ends (reaches `stopped` or
   * `failed`; an ended agent never runs again), synchronously. For state kept per agent
   * elsewhere that must end with the agent, such as token budgets. A listener that throws is
   * logged and does not disturb the others. Returns an unsubscriber.
   */
  onAgentEnded(listener: (agentId: string) => void): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  /**
   * Forgets an agent that is not running (idle, stopped or failed). Returns false for an
   * unknown id.
   *
   * Throws: `AGENT_BUSY` while a run is active: kill it first.
   * Abort: takes no signal (synchronous).
   */
  remove(agentId: string): boolean {
    const record = this.#agents.get(agentId);
    if (record === undefined) return false;
    if (record.active !== undefined) {
      throw new KernelError(SupervisorErrorCode.agentBusy, `agent ${agentId} is running; kill it before removing it`, {
        details: { agentId },
      });
    }
    this.#agents.delete(agentId);
    this.#ended.delete(agentId);
    return true;
  }

  get(agentId: string): AgentHandle | undefined {
    const record = this.#agents.get(agentId);
    return record === undefined ? undefined : this.#handle(record);
  }

  list(): AgentHandle[] {
    return [...this.#agents.values()].map((record) => this.#handle(record));
  }

  /**
   * The agent's declared state.
   *
   * Throws: `AGENT_NOT_FOUND`; `AGENT_STATE_UNSUPPORTED` when it declares none;
   * `AGENT_STATE_EXPORT_FAILED` when its `export` hook throws.
   * Abort: takes no signal (synchronous).
   */
  exportState(agentId: string): unknown {
    const record = this.#require(agentId);
    const hooks = record.spec.state;
    if (hooks === undefined) {
      throw new KernelError(
        SupervisorErrorCode.agentStateUnsupported,
        `agent ${agentId} declares no serialisable state`,
        {
          details: { agentId },
        },
      );
    }
    try {
      const state = hooks.export();
      if (state === undefined) throw new Error("export() returned undefined");
      return structuredClone(state);
    } catch (error) {
      throw new KernelError(
        SupervisorErrorCode.agentStateExportFailed,
        `exporting the state of agent ${agentId} failed`,
        {
          cause: error,
          details: { agentId },
        },
      );
    }
  }

  /**
   * Hands `state` to the agent's `import` hook.
   *
   * Throws: `AGENT_NOT_FOUND`; `AGENT_STATE_UNSUPPORTED` when it declares no state;
   * `AGENT_STATE_IMPORT_FAILED` when its `import` hook throws.
   * Abort: takes no signal (synchronous).
   */
  importState(agentId: string, state: unknown): void {
    const record = this.#require(agentId);
    const hooks = record.spec.state;
    if (hooks === undefined) {
      throw new KernelError(
        SupervisorErrorCode.agentStateUnsupported,
        `agent ${agentId} declares no serialisable state`,
        {
          details: { agentId },
        },
      );
    }
    try {
      hooks.import(structuredClone(state));
    } catch (error) {
      throw new KernelError(
        SupervisorErrorCode.agentStateImportFailed,
        `importing the state of agent ${agentId} failed`,
        {
          cause: error,
          details: { agentId },
        },
      );
    }
  }

  stats(): SupervisorStats {
    const byStatus: Record<AgentStatus, number> = { starting: 0, running: 0, idle: 0, stopped: 0, failed: 0 };
    for (const record of this.#agents.values()) byStatus[record.status] += 1;
    return {
      agents: this.#agents.size,
      byStatus,
      ...this.#counters,
      abandonedStillRunning: this.#abandonedWork.size,
    };
  }

  /**
   * Stops intake, kills every agent, and waits up to `timeoutMs` for their runs to settle.
   * Idle agents end `stopped`.
   *
   * Throws: nothing; runs that did not settle in time are counted in the report.
   * Abort: takes no signal; `timeoutMs` bounds the wait.
   */
  async shutdown(options: { timeoutMs: number }): Promise<SupervisorShutdownReport> {
    this.#closing = true;
    const active = [...this.#agents.values()].flatMap((record) => (record.active === undefined ? [] : [record.active]));
    const kills = [...this.#agents.values()].map((record) => this.kill(record.id, "supervisor shutdown"));
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = this.#clock.setTimer(() => resolve(false), options.timeoutMs);
    });
    const completed = await Promise.race([Promise.all(kills).then(() => true as const), timedOut]);
    timer?.cancel();
    const forced = active.filter((run) => run.forced).length;
    const report: SupervisorShutdownReport = {
      stoppedCleanly: active.length - forced,
      forced,
      abandoned: this.#abandonedWork.size,
      completed,
    };
    this.#logger.info("supervisor shut down", { ...report });
    return report;
  }

  async #execute(
    record: AgentRecord,
    active: ActiveRun,
    input: unknown,
    signal: AbortSignal,
    lease: AdmissionLease,
    options: RunOptions,
  ): Promise<unknown> {
    active.started = true;
    // A kill or the caller's abort may land between admission and this call (for example from
    // a synchronous `task.admitted` listener): the function must then never run.
    const refused = active.killedBy ?? active.cancelledBy;
    if (refused !== undefined) throw refused;
    const runId = active.runId;
    this.#counters.runsStarted += 1;
    this.#transition(record, "running");
    this.#publish("agent.started", { agentId: record.id, runId });
    const timeoutMs = positive(options.timeoutMs ?? record.spec.timeoutMs ?? this.#defaultTimeoutMs, "timeoutMs");
    const timeout = this.#clock.setTimer(() => {
      this.#scheduler.abort(
        runId,
        new KernelError(CoreErrorCode.timedOut, `agent ${record.spec.name} timed out after ${timeoutMs} ms`, {
          details: { timeoutMs },
        }),
      );
    }, timeoutMs);
    try {
      const work = record.spec.run(input as never, {
        agentId: record.id,
        runId,
        signal,
        heartbeat: () => lease.heartbeat(),
      });
      return await this.#settle(work, signal, record, active);
    } finally {
      timeout.cancel();
    }
  }

  /**
   * Links the caller's signal to the run: before the run starts an abort cancels it in the
   * queue (it never starts); once it runs, the abort aborts it. A kill already under way
   * decides the outcome alone. Returns an unlinker.
   */
  #linkCaller(active: ActiveRun, source: AbortSignal): () => void {
    const onAbort = (): void => {
      if (active.killedBy !== undefined || active.cancelledBy !== undefined) return;
      const reason = abortError(source);
      if (active.started) {
        this.#scheduler.abort(active.runId, reason);
        return;
      }
      active.cancelledBy = reason;
      this.#scheduler.cancel(active.runId, reason.message);
    };
    if (source.aborted) {
      onAbort();
      return () => undefined;
    }
    source.addEventListener("abort", onAbort, { once: true });
    return () => source.removeEventListener("abort", onAbort);
  }

  /**
   * Settles with the work, or with the abort reason once the signal has aborted; either way
   * only once the work itself has settled, so the scheduler slot is held until then. If the
   * work ignores an abort for `killGraceMs`, it is abandoned: the caller is answered through
   * `active.abandon` while this promise (and the slot) waits on.
   */
  async #settle(work: Promise<unknown>, signal: AbortSignal, record: AgentRecord, active: ActiveRun): Promise<unknown> {
    let grace: { cancel(): void } | undefined;
    const onAbort = (): void => {
      grace = this.#clock.setTimer(() => {
        active.forced = true;
        this.#abandon(work, record, active);
        active.abandon(abortError(signal));
      }, this.#killGraceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    try {
      const value = await work;
      if (signal.aborted) throw abortError(signal);
      return value;
    } catch (error) {
      throw signal.aborted ? abortError(signal) : error;
    } finally {
      signal.removeEventListener("abort", onAbort);
      grace?.cancel();
    }
  }

  #abandon(work: Promise<unknown>, record: AgentRecord, active: ActiveRun): void {
    this.#counters.abandoned += 1;
    this.#abandonedWork.add(work);
    this.#logger.warn("agent function ignored its abort signal and was abandoned", {
      agentId: record.id,
      runId: active.runId,
      graceMs: this.#killGraceMs,
    });
    const forget = (outcome: string): void => {
      this.#abandonedWork.delete(work);
      this.#logger.warn("abandoned agent function finally settled", {
        agentId: record.id,
        runId: active.runId,
        outcome,
      });
    };
    work.then(
      () => forget("resolved"),
      (error: unknown) => forget(`rejected: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  #transition(record: AgentRecord, to: AgentStatus): void {
    assertTransition(record.id, record.status, to);
    record.status = to;
    if (!isTerminal(to)) return;
    this.#retire(record.id);
    for (const listener of this.#endListeners) {
      try {
        listener(record.id);
      } catch (error) {
        this.#logger.warn("an agent-ended listener threw; the others still ran", { agentId: record.id, error });
      }
    }
  }

  /** Keeps at most `retainEndedAgents` ended agents listed, forgetting the oldest first. */
  #retire(agentId: string): void {
    this.#ended.add(agentId);
    for (const oldest of this.#ended) {
      if (this.#ended.size <= this.#retainEnded) break;
      this.#ended.delete(oldest);
      this.#agents.delete(oldest);
    }
  }

  #publish<T extends KernelEventType>(type: T, payload: KernelEventOf<T>["payload"]): void {
    this.#events?.publish(createEvent(type, payload, SOURCE, this.#clock.now()));
  }

  #require(agentId: string): AgentRecord {
    const record = this.#agents.get(agentId);
    if (record === undefined) {
      throw new KernelError(SupervisorErrorCode.agentNotFound, `no agent with id ${agentId}`, { details: { agentId } });
    }
    return record;
  }

  #assertOpen(): void {
    if (this.#closing) throw new KernelError(SupervisorErrorCode.shuttingDown, "the supervisor is shutting down");
  }

  #handle(record: AgentRecord): AgentHandle {
    return {
      id: record.id,
      name: record.spec.name,
      status: record.status,
      createdAt: record.createdAt,
      runs: record.runs,
      ...(record.spec.seedId === undefined ? {} : { seedId: record.spec.seedId }),
      ...(record.lastError === undefined ? {} : { lastError: record.lastError }),
    };
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new KernelError(
      SupervisorErrorCode.agentSpecInvalid,
      `${name} must be a positive number of milliseconds, got ${value}`,
    );
  }
  return value;
}

function validateSpec(spec: AgentSpec<never, unknown>): void {
  if (typeof spec !== "object" || spec === null)
    throw new KernelError(SupervisorErrorCode.agentSpecInvalid, "agent spec must be an object");
  if (typeof spec.name !== "string" || spec.name.trim() === "" || spec.name.length > 200) {
    throw new KernelError(SupervisorErrorCode.agentSpecInvalid, "agent spec needs a name of 1–200 characters");
  }
  if (spec.id !== undefined && (typeof spec.id !== "string" || spec.id.length === 0 || spec.id.length > 200)) {
    throw new KernelError(
      SupervisorErrorCode.agentSpecInvalid,
      `agent ${spec.name}: id must be a string of 1–200 characters`,
    );
  }
  if (typeof spec.run !== "function")
    throw new KernelError(SupervisorErrorCode.agentSpecInvalid, `agent ${spec.name}: run must be a function`);
  if (spec.timeoutMs !== undefined) positive(spec.timeoutMs, "timeoutMs");
  if (
    spec.state !== undefined &&
    (typeof spec.state.export !== "function" || typeof spec.state.import !== "function")
  ) {
    throw new KernelError(
      SupervisorErrorCode.agentSpecInvalid,
      `agent ${spec.name}: state needs export() and import()`,
    );
  }
}
