/**
 * Direct runs — the kernel's "exec" syscall. `runGoal` skips the interview, spawns an agent
 * for a simple seed and returns its ids at once; the run goes through the supervisor and the
 * scheduler like every other. Each run has a status (queued → running → completed | failed |
 * cancelled) readable while it runs and for a while after (`retainFinished`), and `cancel`
 * really stops it: a queued run leaves the scheduler's queue, a running one is aborted —
 * the HTTP request to the model and every tool with it.
 *
 * With a `journal` runs are durable: `runGoal` writes the run's record in the same tick as
 * its scheduler task (one group commit on a shared database) and `accepted` resolves once
 * it is durable; every step of the agent loop is journalled; `resume` continues a run from
 * its last journalled step inside the lease of its recovered scheduler task. A run stopped by
 * the kernel's own shutdown (a drain, `close`) is not journalled as ended: it stays queued
 * or running in the journal and resumes at the next start.
 *
 * Every run's promise is owned here: `close()` stops what is live and joins it. With a
 * `redactor`, a finished record's answer and error message are redacted, so a secret the
 * model quoted is in no run record, live or journalled.
 */

import { type Clock, KernelError, type Logger, newId, noRedaction, type Redactor } from "@oxios/core";
import { createEvent, type EventPublisher, type Priority } from "@oxios/event-bus";
import { SchedulerErrorCode } from "@oxios/scheduler";
import { type GrantedLease, SupervisorErrorCode } from "@oxios/supervisor";
import type { AgentRunResult } from "./agent-loop.ts";
import type { AgentJob, AgentRunner } from "./agent-runner.ts";
import { RuntimeErrorCode } from "./error-codes.ts";
import type { JournalledRun, RunJournal, RunStep, StepJournal } from "./run-journal.ts";
import { isFinished, type RunRecord, type RunStatus } from "./run-record.ts";
import { replaySteps } from "./run-replay.ts";
import { describeRun, endedStatus, startRunSpan } from "./run-spans.ts";
import type { SpanParent, Tracer, TraceSpan } from "./tracing.ts";

export type { RunRecord, RunStatus };

export interface RunGoalRequest {
  goal: string;
  priority?: Priority;
  spaceId?: string;
  sessionId?: string;
  /** Aborting it cancels the run. */
  signal?: AbortSignal;
  constraints?: string[];
  acceptanceCriteria?: string[];
  /** Run again as an existing idle agent started by this runtime (its token budget applies). */
  agentId?: string;
  /** The agent profile to run as (a new agent; `AGENT_PROFILE_NOT_FOUND` when unknown). */
  agent?: string;
  /**
   * A run submitted with a key the scheduler still holds (24 h by default) is not started
   * again: the handle is the first run's (`created: false`).
   */
  idempotencyKey?: string;
  /** Streamed text and tool activity of the run. */
  onTextDelta?: AgentJob["onTextDelta"];
  onToolActivity?: AgentJob["onToolActivity"];
}

export interface RunHandle {
  taskId: string;
  agentId: string;
  /** False when `idempotencyKey` named an existing run: this is that run. */
  created: boolean;
  /**
   * Resolves once the run is durable (journalled with its scheduler task); at once without a
   * journal. Rejects with the journal's coded error; the run is then cancelled.
   */
  accepted: Promise<void>;
  /** Settles with the final record; never rejects (a failure is `status: "failed"`). */
  result: Promise<RunRecord>;
}

/** Where a direct run looks up idempotency keys: the scheduler. */
export interface IdempotencyKeys {
  findByIdempotencyKey(
    key: string,
  ): { id: string; agentId?: string; status: string; priority: Priority; createdAt: number } | undefined;
}

export interface DirectRunsOptions {
  runner: AgentRunner;
  clock: Clock;
  logger?: Logger;
  /** Finished records kept in memory for `get` (the journal keeps them all). Default 1000. */
  retainFinished?: number;
  /** Applied to a finished record's text and error message; default `noRedaction`. */
  redactor?: Redactor;
  /** Where runs and their steps are journalled; without it runs are not durable. */
  journal?: RunJournal;
  /** The scheduler, for `idempotencyKey`. */
  keys?: IdempotencyKeys;
  /** Where `run.resumed` is published. */
  publisher?: EventPublisher;
  /** Keep an ended run's workspace directory instead of removing it with its agent. Default false. */
  keepWorkspaces?: boolean;
  /**
   * Where each run's `invoke_agent` span goes (its model and tool calls are children); the
   * run's trace id is on its record. Without it nothing is traced.
   */
  tracer?: Tracer;
}

/**
 * Outcomes that leave the run resumable in the journal, not ended: the kernel's own shutdown,
 * and a journal out of reach (its task stays running in the queue, to be handed back).
 */
const INTERRUPT_CODES = new Set<string>([
  SchedulerErrorCode.draining,
  SupervisorErrorCode.shuttingDown,
  SchedulerErrorCode.taskInterrupted,
]);

/** Codes the kernel's own shutdown stops a run with: the scheduler's drain, the supervisor's shutdown. */
const SHUTDOWN_CODES = new Set<string>([SchedulerErrorCode.draining, SupervisorErrorCode.shuttingDown]);

/**
 * A step journal whose writes fail with `SCHEDULER_TASK_INTERRUPTED` while the journal's
 * database cannot be reached: the run stops there, its end is recorded neither in the journal
 * nor in the queue, and it continues from its last journalled step once the database is back.
 */
function interruptible(append: (step: RunStep) => Promise<void>): (step: RunStep) => Promise<void> {
  return async (step) => {
    try {
      await append(step);
    } catch (error) {
      if (KernelError.from(error).code !== RuntimeErrorCode.journalUnavailable) throw error;
      throw new KernelError(
        SchedulerErrorCode.taskInterrupted,
        "the run journal cannot be reached; the run stops here",
        {
          cause: error,
        },
      );
    }
  };
}

interface LiveRun {
  readonly record: RunRecord;
  /** The run's `invoke_agent` span in this process (when tracing). */
  readonly span?: TraceSpan;
  /** Journal writes not awaited by the run itself (status changes); joined before it ends. */
  readonly writes: Set<Promise<void>>;
  /** Set when the run's record could not be journalled: nothing more of it is journalled. */
  refused?: boolean;
}

export class DirectRuns {
  readonly #options: DirectRunsOptions;
  readonly #records = new Map<string, RunRecord>();
  readonly #live = new Map<string, Promise<RunRecord>>();
  readonly #finished: string[] = [];
  #closed = false;
  /**
   * Runs the kernel's shutdown stopped since the last summary: each is logged at `debug`, and
   * `close` logs their count once — thousands of per-run lines at a stop would block on a full
   * stdout pipe.
   */
  #stoppedByShutdown = 0;

  constructor(options: DirectRunsOptions) {
    this.#options = options;
  }

  runGoal(request: RunGoalRequest): RunHandle {
    if (this.#closed) throw new KernelError(RuntimeErrorCode.closed, "the runtime is closed");
    const goal = request.goal.trim();
    if (goal.length === 0) throw new KernelError(RuntimeErrorCode.messageEmpty, "runGoal needs a non-empty goal");
    if (request.agentId !== undefined && this.#liveAgent(request.agentId)) {
      throw new KernelError(SupervisorErrorCode.agentBusy, `agent ${request.agentId} already has a run`, {
        details: { agentId: request.agentId },
      });
    }
    // Look up and submit in one synchronous step: no second run can take the key in between.
    if (request.idempotencyKey !== undefined) {
      const existing = this.#options.keys?.findByIdempotencyKey(request.idempotencyKey);
      if (existing !== undefined) return this.#existing(existing);
    }
    const { runner, clock, journal } = this.#options;
    const priority = request.priority ?? "normal";
    const spawned = request.agentId === undefined;
    const agentId =
      request.agentId ??
      runner.spawn({
        name: `run: ${goal.slice(0, 40)}`,
        priority,
        ...(request.agent === undefined ? {} : { profile: request.agent }),
      }).id;
    const profile = runner.profileOf(agentId)?.name;
    const taskId = newId(clock.now());
    const record: RunRecord = {
      taskId,
      agentId,
      goal,
      priority,
      status: "queued",
      createdAt: clock.now(),
      ...(request.sessionId === undefined ? {} : { sessionId: request.sessionId }),
      ...(request.spaceId === undefined ? {} : { spaceId: request.spaceId }),
      ...(profile === undefined ? {} : { agent: profile }),
    };
    const span = this.#startSpan(record);
    if (span !== undefined) record.traceId = span.context.traceId;
    const details = {
      constraints: request.constraints ?? [],
      acceptanceCriteria: request.acceptanceCriteria ?? [],
      ...(span === undefined ? {} : { traceParent: span.context }),
    };
    // Buffered before the scheduler's write below: both land in the same group commit.
    const accepted = journal?.create({ record, request: details }) ?? Promise.resolve();
    const live: LiveRun = { record, writes: new Set(), ...(span === undefined ? {} : { span }) };
    const job = this.#job(live, { request: details, steps: [] }, request);
    const work = runner.run(agentId, job, request.signal, {
      runId: taskId,
      freshRunId: true,
      ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
    });
    const result = this.#own(live, work, spawned);
    const acceptedOrCancelled = accepted.catch(async (error: unknown) => {
      live.refused = true;
      await this.cancel(taskId, "the run could not be journalled");
      throw KernelError.from(error, RuntimeErrorCode.journalFailed, "the run could not be journalled");
    });
    return { taskId, agentId, created: true, accepted: acceptedOrCancelled, result };
  }

  /**
   * Continues the journalled run `lease.taskId` inside the lease its recovered scheduler task
   * was granted (the scheduler's runner for `recover`): a run that had started continues from
   * its last journalled step (`run.resumed`), a run that was still queued starts. Resolves and
   * rejects with the agent's run, which the scheduler records on the task.
   *
   * Throws: `RUN_NOT_RESUMABLE` when the journal has no unfinished run with that id (the task
   * then fails), `RUNTIME_CLOSED`.
   */
  async resume(lease: GrantedLease): Promise<AgentRunResult> {
    const loaded = await this.#loadUnfinished(lease.taskId);
    if (loaded === undefined) {
      throw new KernelError(RuntimeErrorCode.runNotResumable, `no unfinished run ${lease.taskId} in the journal`, {
        details: { taskId: lease.taskId },
      });
    }
    const { live, agentId, job } = this.#continue(loaded);
    const work = this.#options.runner.runLeased(agentId, job, lease);
    this.#own(live, work, true);
    return work;
  }

  /**
   * Submits a journalled, unfinished run to the scheduler again under its own id — one whose
   * scheduler task was lost (it never reached the queue). Once admitted it continues from its
   * journalled steps like `resume`. Returns the run's final record, or undefined when the
   * journal has no unfinished run with that id.
   */
  async requeue(taskId: string): Promise<Promise<RunRecord> | undefined> {
    const loaded = await this.#loadUnfinished(taskId);
    if (loaded === undefined) return undefined;
    const { live, agentId, job } = this.#continue(loaded);
    return this.#own(live, this.#options.runner.run(agentId, job, undefined, { runId: taskId }), true);
  }

  async #loadUnfinished(taskId: string): Promise<{ run: JournalledRun; steps: RunStep[] } | undefined> {
    if (this.#closed) throw new KernelError(RuntimeErrorCode.closed, "the runtime is closed");
    const loaded = await this.#options.journal?.load(taskId);
    return loaded === undefined || isFinished(loaded.run.record.status) ? undefined : loaded;
  }

  /** The live state of a journalled run about to continue; `run.resumed` when it had started. */
  #continue(loaded: { run: JournalledRun; steps: RunStep[] }): { live: LiveRun; agentId: string; job: AgentJob } {
    const { runner, clock } = this.#options;
    const stored = loaded.run.record;
    const resumed = stored.status === "running" || loaded.steps.length > 0;
    const record: RunRecord = { ...stored, status: "queued", resumes: (stored.resumes ?? 0) + (resumed ? 1 : 0) };
    // The resumed attempt's span continues the run's trace, as a child of the first attempt's span.
    const span = this.#startSpan(record, loaded.run.request.traceParent);
    if (span !== undefined) record.traceId = span.context.traceId;
    const agentId = runner.spawn({
      name: `run: ${record.goal.slice(0, 40)}`,
      priority: record.priority,
      agentId: record.agentId,
      ...(record.agent === undefined ? {} : { profile: record.agent }),
    }).id;
    if (resumed) {
      this.#options.logger?.info("resuming a run from its journal", {
        taskId: record.taskId,
        agentId,
        steps: loaded.steps.length,
      });
      this.#options.publisher?.publish(
        createEvent(
          "run.resumed",
          {
            taskId: record.taskId,
            agentId,
            resumes: record.resumes ?? 1,
            fromStep: loaded.steps.length,
            ...(record.traceId === undefined ? {} : { traceId: record.traceId }),
          },
          "runtime",
          clock.now(),
        ),
      );
    }
    const live: LiveRun = { record, writes: new Set(), ...(span === undefined ? {} : { span }) };
    return { live, agentId, job: this.#job(live, { request: loaded.run.request, steps: loaded.steps }) };
  }

  /**
   * Ends a journalled run that cannot continue: failed with `error` (such as
   * `RUN_INTERRUPTED` once it used up its resumes), or — when its journal already holds the
   * model's final answer — completed with it. Returns the final record; undefined when the
   * journal has no unfinished run with that id.
   */
  async conclude(taskId: string, error: { code: string; message: string }): Promise<RunRecord | undefined> {
    const journal = this.#options.journal;
    const loaded = await journal?.load(taskId);
    if (journal === undefined || loaded === undefined || isFinished(loaded.run.record.status)) return undefined;
    const now = this.#options.clock.now();
    const replayed = replaySteps(loaded.steps);
    const record: RunRecord = { ...loaded.run.record, finishedAt: now, durationMs: now - loaded.run.record.createdAt };
    if (replayed.answered) {
      Object.assign(record, {
        status: "completed",
        text: this.#redact(replayed.lastText),
        finishReason: "stop",
        steps: replayed.modelSteps,
        usage: replayed.usage,
        toolCalls: replayed.toolCalls.map((call) => ({ callId: call.callId, name: call.name, ok: call.outcome.ok })),
      });
    } else {
      record.status = "failed";
      record.error = { code: error.code, message: this.#redact(error.message) };
    }
    await journal.update(record);
    // Its agent is not coming back: the workspace it kept for a resume goes with it.
    if (!this.#options.keepWorkspaces) await this.#options.runner.retire(record.agentId, "run concluded", true);
    return record;
  }

  get(taskId: string): RunRecord | undefined {
    const record = this.#records.get(taskId);
    return record === undefined ? undefined : structuredClone(record);
  }

  /** A run of this process, else one the journal keeps. */
  async load(taskId: string): Promise<RunRecord | undefined> {
    return this.get(taskId) ?? (await this.#options.journal?.get(taskId));
  }

  /** The final record of a live run (never rejects); undefined once it ended or when unknown. */
  whenFinished(taskId: string): Promise<RunRecord> | undefined {
    return this.#live.get(taskId);
  }

  list(): RunRecord[] {
    return [...this.#records.values()].map((record) => structuredClone(record));
  }

  /**
   * Cancels a queued or running run and resolves once it has settled (false when unknown or
   * already finished).
   */
  async cancel(taskId: string, reason = "cancelled"): Promise<boolean> {
    const record = this.#records.get(taskId);
    const live = this.#live.get(taskId);
    if (record === undefined || live === undefined) return false;
    await this.#options.runner.options.supervisor.kill(record.agentId, reason);
    await live;
    return true;
  }

  /**
   * Refuses new runs and stops the live ones, and waits until every one has settled. With a
   * journal they are left resumable (journalled as they stood); without one they end cancelled.
   * Logs one line with the number of runs the shutdown stopped (a drain's included).
   */
  async close(reason = "runtime closing"): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#live.keys()].map((taskId) => this.cancel(taskId, reason)));
    if (this.#stoppedByShutdown === 0) return;
    this.#options.logger?.info(
      this.#options.journal === undefined
        ? "runs stopped by the kernel's shutdown; they ended without a result"
        : "runs stopped by the kernel's shutdown; they resume from the journal at the next start",
      { count: this.#stoppedByShutdown },
    );
    this.#stoppedByShutdown = 0;
  }

  /** Waits until every live run has settled and its journal writes are durable. */
  async settled(): Promise<void> {
    await Promise.all([...this.#live.values()]);
  }

  /** The handle of the run an idempotency key names (live, retained, journalled, or as the scheduler knows it). */
  #existing(task: NonNullable<ReturnType<IdempotencyKeys["findByIdempotencyKey"]>>): RunHandle {
    const taskId = task.id;
    const agentId = task.agentId ?? "";
    const fromScheduler: RunRecord = {
      taskId,
      agentId,
      goal: "",
      priority: task.priority,
      status: task.status === "reaped" ? "failed" : (task.status as RunStatus),
      createdAt: task.createdAt,
    };
    const result = this.#live.get(taskId) ?? this.load(taskId).then((record) => record ?? fromScheduler);
    return { taskId, agentId, created: false, accepted: Promise.resolve(), result };
  }

  #job(
    live: LiveRun,
    journalled: { request: JournalledRun["request"]; steps: readonly RunStep[] },
    request?: RunGoalRequest,
  ): AgentJob {
    const { record } = live;
    const journal = this.#options.journal;
    const steps: StepJournal | undefined =
      journal === undefined
        ? undefined
        : { steps: journalled.steps, append: interruptible((step) => journal.append(record.taskId, step)) };
    return {
      taskId: record.taskId,
      seed: {
        id: record.taskId,
        goal: record.goal,
        constraints: journalled.request.constraints,
        acceptanceCriteria: journalled.request.acceptanceCriteria,
      },
      ...(record.sessionId === undefined ? {} : { sessionId: record.sessionId }),
      ...(record.spaceId === undefined ? {} : { spaceId: record.spaceId }),
      ...(request?.onTextDelta ? { onTextDelta: request.onTextDelta } : {}),
      ...(request?.onToolActivity ? { onToolActivity: request.onToolActivity } : {}),
      ...(steps === undefined ? {} : { journal: steps }),
      ...(live.span === undefined ? {} : { trace: live.span.context }),
      onStart: () => {
        record.status = "running";
        record.startedAt ??= this.#options.clock.now();
        this.#write(live);
      },
    };
  }

  /** Journals the record as it stands now; the run joins the write before it ends. */
  #write(live: LiveRun): void {
    const journal = this.#options.journal;
    if (journal === undefined) return;
    const write = journal.update(live.record).then(undefined, (error: unknown) => {
      // The run's end is journalled after this; a lost status change only matters until then.
      // A database that does not take writes for a while is logged once by the store layer.
      const coded = KernelError.from(error);
      const level = coded.code === RuntimeErrorCode.journalUnavailable || live.refused === true ? "debug" : "warn";
      this.#options.logger?.[level]("a run's status change was not journalled", {
        taskId: live.record.taskId,
        error: coded.message,
      });
    });
    live.writes.add(write);
    void write.finally(() => live.writes.delete(write));
  }

  /** Owns a run's promise: settles its record, journals the end, retires a spawned agent. */
  #own(live: LiveRun, work: Promise<AgentRunResult>, spawned: boolean): Promise<RunRecord> {
    const { record } = live;
    const { runner, logger } = this.#options;
    const result = work
      .then(
        (output): { output?: AgentRunResult; error?: unknown } => ({ output }),
        (error: unknown): { output?: AgentRunResult; error?: unknown } => ({ error }),
      )
      .then(async (outcome) => {
        const interrupted =
          outcome.output === undefined &&
          this.#options.journal !== undefined &&
          (INTERRUPT_CODES.has(KernelError.from(outcome.error).code) || this.#closed);
        // Status writes first: a failed one fails the run's end write too, and is logged there.
        await Promise.allSettled([...live.writes]);
        if (interrupted) {
          live.span?.setAttributes({ "oxios.run.status": "interrupted" });
          const code = KernelError.from(outcome.error).code;
          const fields = { taskId: record.taskId, status: record.status, code };
          if (this.#byShutdown(code)) {
            this.#stoppedByShutdown++;
            logger?.debug("run stopped by the shutdown; it resumes from its journal", fields);
          } else {
            logger?.info("run interrupted; it resumes from its journal", fields);
          }
          // The journal holds the run from here on (and whichever attempt continues it).
          this.#records.delete(record.taskId);
          // Still open: the run may continue in this process, with a fresh agent under its id.
          if (!this.#closed && spawned) await this.#forgetAgent(record.agentId);
          return structuredClone(record);
        }
        const settled = this.#settle(record, outcome);
        if (live.span !== undefined) describeRun(live.span, settled);
        try {
          // A run whose record was refused is in no journal: its end has nothing to update.
          if (live.refused !== true) await this.#options.journal?.update(settled);
        } catch (error) {
          logger?.error("the end of a run was not journalled", {
            taskId: record.taskId,
            error: KernelError.from(error).message,
          });
        }
        // A one-shot agent ends with its run; an agent the caller brought stays idle for reuse.
        if (spawned) await runner.retire(record.agentId, "direct run finished", !this.#options.keepWorkspaces);
        return settled;
      })
      .finally(() => {
        live.span?.end();
        this.#live.delete(record.taskId);
      });
    this.#records.set(record.taskId, record);
    this.#live.set(record.taskId, result);
    return result;
  }

  /** Ends and forgets the agent of an interrupted run; a failure is logged (the run is in the journal either way). */
  async #forgetAgent(agentId: string): Promise<void> {
    const { runner, logger } = this.#options;
    try {
      await runner.retire(agentId, "run interrupted; it continues from its journal");
      runner.remove(agentId);
    } catch (error) {
      logger?.warn("the agent of an interrupted run could not be removed", {
        agentId,
        error: KernelError.from(error).message,
      });
    }
  }

  /** The `invoke_agent` span of one attempt at a run: a new trace, or a child of `parent`. */
  #startSpan(record: RunRecord, parent?: SpanParent): TraceSpan | undefined {
    return startRunSpan(
      this.#options.tracer,
      {
        agentId: record.agentId,
        runId: record.taskId,
        ...(record.agent === undefined ? {} : { agent: record.agent }),
        ...(record.sessionId === undefined ? {} : { sessionId: record.sessionId }),
        ...(record.resumes === undefined ? {} : { resumes: record.resumes }),
      },
      parent,
    );
  }

  /**
   * Whether a run that ended with `code` was stopped by the kernel's shutdown: a drain or the
   * supervisor's shutdown, or a kill once this is closing. A run that failed on its own is not.
   */
  #byShutdown(code: string): boolean {
    return SHUTDOWN_CODES.has(code) || (this.#closed && endedStatus(code) === "cancelled");
  }

  #liveAgent(agentId: string): boolean {
    for (const taskId of this.#live.keys()) if (this.#records.get(taskId)?.agentId === agentId) return true;
    return false;
  }

  #redact(text: string): string {
    return (this.#options.redactor ?? noRedaction).redact(text);
  }

  #settle(record: RunRecord, outcome: { output?: AgentRunResult; error?: unknown }): RunRecord {
    const now = this.#options.clock.now();
    record.finishedAt = now;
    record.durationMs = now - record.createdAt;
    if (outcome.output !== undefined) {
      const output = outcome.output;
      record.status = "completed";
      record.text = this.#redact(output.text);
      record.finishReason = output.finishReason;
      record.steps = output.steps;
      record.model = output.model;
      record.usage = { ...output.usage };
      record.toolCalls = output.toolCalls.map((call) => ({
        callId: call.callId,
        name: call.name,
        ok: call.outcome.ok,
      }));
    } else {
      const error = KernelError.from(outcome.error, RuntimeErrorCode.runFailed);
      record.status = endedStatus(error.code);
      record.error = { code: error.code, message: this.#redact(error.message) };
      const fields = { taskId: record.taskId, agentId: record.agentId, status: record.status, code: error.code };
      if (this.#byShutdown(error.code)) {
        this.#stoppedByShutdown++;
        this.#options.logger?.debug("direct run stopped by the shutdown", fields);
      } else {
        this.#options.logger?.info("direct run ended without a result", fields);
      }
    }
    this.#finished.push(record.taskId);
    const keep = this.#options.retainFinished ?? 1000;
    while (this.#finished.length > keep) {
      const old = this.#finished.shift();
      if (old !== undefined) this.#records.delete(old);
    }
    return structuredClone(record);
  }
}
