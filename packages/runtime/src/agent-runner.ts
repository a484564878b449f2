/**
 * Runs a seed as a supervised agent: `Supervisor.spawn` registers it, `Supervisor.run` goes
 * through `Scheduler.run` (every run is admitted: caps, rate keys and the budget hook), and
 * inside the admitted run the agent loop talks to the model and to a gated `@oxios/tools`
 * session bound to the run's signal — so kill, cancel, timeout and the caller's abort reach
 * the HTTP request to the model and every tool.
 */

import { rm } from "node:fs/promises";
import type { Clock, Logger } from "@oxios/core";
import type { EventPublisher, Priority } from "@oxios/event-bus";
import type { AgentContext, AgentHandle, GrantedLease, Supervisor } from "@oxios/supervisor";
import type { AgentIdentity, ToolRegistry } from "@oxios/tools";
import { GatedToolExecutor, type ToolActivity } from "./adapters/gated-tool-executor.ts";
import { AgentLoop, type AgentRunResult } from "./agent-loop.ts";
import type { CircuitBreakers } from "./circuit-breaker.ts";
import type { MemoryPort } from "./ports.ts";
import type { RetryPolicy } from "./provider-call.ts";
import type { ResolvedModel } from "./providers/resolve-model.ts";
import type { StepJournal } from "./run-journal.ts";
import type { Seed } from "./system-prompt.ts";
import type { TokenBudgets } from "./token-budgets.ts";

/** Loop settings for every agent the runtime starts. */
export interface AgentSettings {
  maxSteps?: number;
  timeoutMs?: number;
  temperature?: number;
  maxTokens?: number;
  contextWindow?: number;
  persona?: string;
}

/** How an agent appears to the tools gate (its workspace is always `<workspaceRoot>/<agentId>`). */
export type AgentIdentityTemplate = Omit<AgentIdentity, "agentId" | "workspaceDir" | "sessionId">;

export interface AgentRunnerOptions {
  model: ResolvedModel;
  clock: Clock;
  breakers: CircuitBreakers;
  budgets: TokenBudgets;
  supervisor: Supervisor;
  /** The gate; without it agents have no tools. */
  tools?: ToolRegistry;
  memory?: MemoryPort;
  publisher?: EventPublisher;
  logger?: Logger;
  retry?: RetryPolicy;
  /** Agent workspaces live below this directory. */
  workspaceRoot: string;
  identity?: AgentIdentityTemplate;
  settings?: AgentSettings;
}

/** What one run of an agent is asked to do. */
export interface AgentJob {
  seed: Seed;
  input?: string;
  sessionId?: string;
  spaceId?: string;
  onStart?: (context: AgentContext) => void;
  onTextDelta?: (delta: string, agentId: string) => void;
  onToolActivity?: (activity: ToolActivity) => void;
  /** Where the loop journals its steps, and the steps of an earlier attempt to continue from. */
  journal?: StepJournal;
}

export interface SpawnOptions {
  name: string;
  seedId?: string;
  priority?: Priority;
  /** Continue as this agent id (a resumed run keeps its agent's workspace). Default a fresh id. */
  agentId?: string;
}

/** What a run is known by in the scheduler. */
export interface RunIds {
  /** The scheduler task's id. Default a fresh id. */
  runId?: string;
  idempotencyKey?: string;
}

export class AgentRunner {
  readonly #options: AgentRunnerOptions;

  constructor(options: AgentRunnerOptions) {
    this.#options = options;
  }

  get options(): AgentRunnerOptions {
    return this.#options;
  }

  /** Registers an agent with the supervisor (synchronous: the id is known at once). */
  spawn(options: SpawnOptions): AgentHandle {
    return this.#options.supervisor.spawn<AgentJob, AgentRunResult>({
      name: options.name,
      ...(options.agentId === undefined ? {} : { id: options.agentId }),
      rateKey: this.#options.model.provider,
      ...(options.seedId === undefined ? {} : { seedId: options.seedId }),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...(this.#options.settings?.timeoutMs === undefined ? {} : { timeoutMs: this.#options.settings.timeoutMs }),
      run: (job, context) => this.#execute(job, context),
    });
  }

  /**
   * Ends an agent spawned for one job once that job has settled, so one-shot agents do not
   * pile up as idle entries; the supervisor keeps ended agents listed within its retention.
   */
  async retire(agentId: string, reason: string, removeWorkspace = false): Promise<void> {
    const supervisor = this.#options.supervisor;
    if (supervisor.get(agentId) !== undefined) await supervisor.kill(agentId, reason);
    if (removeWorkspace) await rm(this.workspaceOf(agentId), { recursive: true, force: true });
  }

  /** The agent's workspace directory. */
  workspaceOf(agentId: string): string {
    return `${this.#options.workspaceRoot}/${agentId}`;
  }

  /** Runs the agent once through the supervisor (and so the scheduler). */
  run(agentId: string, job: AgentJob, signal?: AbortSignal, ids: RunIds = {}): Promise<AgentRunResult> {
    return this.#options.supervisor.run<AgentRunResult>(agentId, job, {
      ...(signal === undefined ? {} : { signal }),
      ...(ids.runId === undefined ? {} : { runId: ids.runId }),
      ...(ids.idempotencyKey === undefined ? {} : { idempotencyKey: ids.idempotencyKey }),
    });
  }

  /** Runs the agent once inside a lease the scheduler granted to a recovered task. */
  runLeased(agentId: string, job: AgentJob, lease: GrantedLease): Promise<AgentRunResult> {
    return this.#options.supervisor.runLeased<AgentRunResult>(agentId, job, lease);
  }

  async #execute(job: AgentJob, context: AgentContext): Promise<AgentRunResult> {
    const options = this.#options;
    job.onStart?.(context);
    const tools =
      options.tools === undefined
        ? undefined
        : new GatedToolExecutor(
            await options.tools.session(
              {
                ...options.identity,
                agentId: context.agentId,
                workspaceDir: this.workspaceOf(context.agentId),
                ...(job.sessionId === undefined ? {} : { sessionId: job.sessionId }),
              },
              { signal: context.signal },
            ),
            {
              onActivity: (activity) => {
                context.heartbeat();
                job.onToolActivity?.(activity);
              },
            },
          );
    const loop = new AgentLoop({
      model: options.model,
      clock: options.clock,
      breakers: options.breakers,
      budgets: options.budgets,
      ...(tools ? { tools } : {}),
      ...(options.memory ? { memory: options.memory } : {}),
      ...(options.publisher ? { publisher: options.publisher } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    });
    const settings = options.settings ?? {};
    return loop.run({
      agentId: context.agentId,
      runId: context.runId,
      seed: job.seed,
      signal: context.signal,
      ...(job.input === undefined ? {} : { input: job.input }),
      ...(job.sessionId === undefined ? {} : { sessionId: job.sessionId }),
      ...(job.spaceId === undefined ? {} : { spaceId: job.spaceId }),
      ...(settings.persona === undefined ? {} : { persona: settings.persona }),
      ...(settings.maxSteps === undefined ? {} : { maxSteps: settings.maxSteps }),
      ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
      ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
      ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }),
      ...(settings.contextWindow === undefined ? {} : { contextWindow: settings.contextWindow }),
      ...(job.journal === undefined ? {} : { journal: job.journal }),
      onTextDelta: (delta) => {
        context.heartbeat();
        job.onTextDelta?.(delta, context.agentId);
      },
    });
  }
}
