/**
 * Direct runs — the kernel's "exec" syscall. `runGoal` skips the interview, spawns an agent
 * for a simple seed and returns its ids at once; the run goes through the supervisor and the
 * scheduler like every other. Each run has a status (queued → running → completed | failed |
 * cancelled) readable while it runs and for a while after (`retainFinished`), and `cancel`
 * really stops it: a queued run leaves the scheduler's queue, a running one is aborted —
 * the HTTP request to the model and every tool with it.
 *
 * Every run's promise is owned here: `close()` cancels what is live and joins it. With a
 * `redactor`, a finished record's answer and error message are redacted, so a secret the
 * model quoted is in no run record, live or journalled.
 */

import { type Clock, CoreErrorCode, KernelError, type Logger, newId, noRedaction, type Redactor } from "@oxios/core";
import type { Priority } from "@oxios/event-bus";
import { SchedulerErrorCode } from "@oxios/scheduler";
import { SupervisorErrorCode } from "@oxios/supervisor";
import type { AgentRunResult, ToolCallRecord } from "./agent-loop.ts";
import type { AgentJob, AgentRunner } from "./agent-runner.ts";
import { RuntimeErrorCode } from "./error-codes.ts";
import type { TokenUsage } from "./token-budgets.ts";

export type RunStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

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
  /** Streamed text and tool activity of the run. */
  onTextDelta?: AgentJob["onTextDelta"];
  onToolActivity?: AgentJob["onToolActivity"];
}

/** A snapshot of one direct run. */
export interface RunRecord {
  taskId: string;
  agentId: string;
  goal: string;
  priority: Priority;
  status: RunStatus;
  sessionId?: string;
  spaceId?: string;
  /** The agent profile the run used. */
  agent?: string;
  /** The model that answered (`provider/modelId`); a fallback when the profile's first model could not. */
  model?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  /** The agent's final answer (completed runs). */
  text?: string;
  finishReason?: AgentRunResult["finishReason"];
  steps?: number;
  usage?: TokenUsage;
  toolCalls?: Array<Pick<ToolCallRecord, "callId" | "name"> & { ok: boolean }>;
  error?: { code: string; message: string };
}

export interface RunHandle {
  taskId: string;
  agentId: string;
  /** Settles with the final record; never rejects (a failure is `status: "failed"`). */
  result: Promise<RunRecord>;
}

export interface DirectRunsOptions {
  runner: AgentRunner;
  clock: Clock;
  logger?: Logger;
  /** Finished records kept for `get`. Default 1000. */
  retainFinished?: number;
  /** Applied to a finished record's text and error message; default `noRedaction`. */
  redactor?: Redactor;
}

const CANCEL_CODES = new Set<string>([
  SupervisorErrorCode.agentKilled,
  CoreErrorCode.aborted,
  SchedulerErrorCode.taskCancelled,
  SchedulerErrorCode.draining,
]);

export class DirectRuns {
  readonly #options: DirectRunsOptions;
  readonly #records = new Map<string, RunRecord>();
  readonly #live = new Map<string, Promise<RunRecord>>();
  readonly #finished: string[] = [];
  #closed = false;

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
    const { runner, clock } = this.#options;
    const priority = request.priority ?? "normal";
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
    this.#records.set(taskId, record);
    const job: AgentJob = {
      taskId,
      seed: {
        id: taskId,
        goal,
        constraints: request.constraints ?? [],
        acceptanceCriteria: request.acceptanceCriteria ?? [],
      },
      ...(request.sessionId === undefined ? {} : { sessionId: request.sessionId }),
      ...(request.spaceId === undefined ? {} : { spaceId: request.spaceId }),
      ...(request.onTextDelta ? { onTextDelta: request.onTextDelta } : {}),
      ...(request.onToolActivity ? { onToolActivity: request.onToolActivity } : {}),
      onStart: () => {
        record.status = "running";
        record.startedAt = clock.now();
      },
    };
    const spawned = request.agentId === undefined;
    const result = runner
      .run(agentId, job, request.signal)
      .then(
        (output) => this.#settle(record, { output }),
        (error: unknown) => this.#settle(record, { error }),
      )
      .then(async (settled) => {
        // A one-shot agent ends with its run; an agent the caller brought stays idle for reuse.
        if (spawned) await runner.retire(agentId, "direct run finished");
        return settled;
      })
      .finally(() => this.#live.delete(taskId));
    this.#live.set(taskId, result);
    return { taskId, agentId, result };
  }

  get(taskId: string): RunRecord | undefined {
    const record = this.#records.get(taskId);
    return record === undefined ? undefined : structuredClone(record);
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

  /** Refuses new runs, cancels the live ones and waits until every one has settled. */
  async close(reason = "runtime closing"): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#live.keys()].map((taskId) => this.cancel(taskId, reason)));
  }

  #liveAgent(agentId: string): boolean {
    for (const taskId of this.#live.keys()) if (this.#records.get(taskId)?.agentId === agentId) return true;
    return false;
  }

  #settle(record: RunRecord, outcome: { output?: AgentRunResult; error?: unknown }): RunRecord {
    const now = this.#options.clock.now();
    const redactor = this.#options.redactor ?? noRedaction;
    record.finishedAt = now;
    record.durationMs = now - record.createdAt;
    if (outcome.output !== undefined) {
      const output = outcome.output;
      record.status = "completed";
      record.text = redactor.redact(output.text);
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
      record.status = CANCEL_CODES.has(error.code) ? "cancelled" : "failed";
      record.error = { code: error.code, message: redactor.redact(error.message) };
      this.#options.logger?.info("direct run ended without a result", {
        taskId: record.taskId,
        agentId: record.agentId,
        status: record.status,
        code: error.code,
      });
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
