/**
 * Runs a seed as a supervised agent: `Supervisor.spawn` registers it, `Supervisor.run` goes
 * through `Scheduler.run` (every run is admitted: caps, rate keys and the budget hook), and
 * inside the admitted run the agent loop talks to the model and to a gated `@oxios/tools`
 * session bound to the run's signal — so kill, cancel, timeout and the caller's abort reach
 * the HTTP request to the model and every tool.
 */

import type { Clock, Logger } from "@oxios/core";
import type { EventPublisher, Priority } from "@oxios/event-bus";
import type { AgentContext, AgentHandle, Supervisor } from "@oxios/supervisor";
import type { AgentIdentity, ToolRegistry } from "@oxios/tools";
import { GatedToolExecutor, type ToolActivity } from "./adapters/gated-tool-executor.ts";
import { AgentLoop, type AgentRunResult } from "./agent-loop.ts";
import type { CircuitBreakers } from "./circuit-breaker.ts";
import type { MemoryPort } from "./ports.ts";
import type { RetryPolicy } from "./provider-call.ts";
import type { ResolvedModel } from "./providers/resolve-model.ts";
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
}

export interface SpawnOptions {
  name: string;
  seedId?: string;
  priority?: Priority;
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
      rateKey: this.#options.model.provider,
      ...(options.seedId === undefined ? {} : { seedId: options.seedId }),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...(this.#options.settings?.timeoutMs === undefined ? {} : { timeoutMs: this.#options.settings.timeoutMs }),
      run: (job, context) => this.#execute(job, context),
    });
  }

  /** Runs the agent once through the supervisor (and so the scheduler). */
  run(agentId: string, job: AgentJob, signal?: AbortSignal): Promise<AgentRunResult> {
    return this.#options.supervisor.run<AgentRunResult>(agentId, job, signal ? { signal } : {});
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
                workspaceDir: `${options.workspaceRoot}/${context.agentId}`,
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
      onTextDelta: (delta) => {
        context.heartbeat();
        job.onTextDelta?.(delta, context.agentId);
      },
    });
  }
}
