/**
 * Runs a seed as a supervised agent: `Supervisor.spawn` registers it, `Supervisor.run` goes
 * through `Scheduler.run` (every run is admitted: caps, rate keys and the budget hook), and
 * inside the admitted run the agent loop talks to the model and to a gated `@oxios/tools`
 * session bound to the run's signal — so kill, cancel, timeout and the caller's abort reach
 * the HTTP request to the model and every tool.
 */

import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { type Clock, KernelError, type Logger } from "@oxios/core";
import type { EventPublisher, Priority } from "@oxios/event-bus";
import type { AgentContext, AgentHandle, GrantedLease, Supervisor } from "@oxios/supervisor";
import type { AgentIdentity, ToolRegistry } from "@oxios/tools";
import { GatedToolExecutor, type ToolActivity } from "./adapters/gated-tool-executor.ts";
import { AgentLoop, type AgentRunResult } from "./agent-loop.ts";
import type { AgentProfile, ProfileLookup, Skill } from "./agent-profile.ts";
import type { CircuitBreakers } from "./circuit-breaker.ts";
import { RuntimeErrorCode } from "./error-codes.ts";
import type { AgentMemoryPort } from "./ports.ts";
import type { RetryPolicy } from "./provider-call.ts";
import type { ResolvedModel } from "./providers/resolve-model.ts";
import type { StepJournal } from "./run-journal.ts";
import type { Seed } from "./system-prompt.ts";
import type { TokenBudgets } from "./token-budgets.ts";
import type { SpanParent, Tracer } from "./tracing.ts";

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
  memory?: AgentMemoryPort;
  publisher?: EventPublisher;
  logger?: Logger;
  retry?: RetryPolicy;
  /** Agent workspaces live below this directory. */
  workspaceRoot: string;
  identity?: AgentIdentityTemplate;
  settings?: AgentSettings;
  /** Agent profiles by name; `spawn({profile})` looks them up here. */
  profiles?: ProfileLookup;
  /** Skills listed to agents without a profile (the kernel's own skills folder). */
  skills?: () => readonly Skill[];
  /** Where model and tool call spans go; without it nothing is traced. */
  tracer?: Tracer;
}

/** What one run of an agent is asked to do. */
export interface AgentJob {
  seed: Seed;
  /** The run's id in its caller's terms (a direct run's task id): the gate names it in approvals. */
  taskId?: string;
  input?: string;
  sessionId?: string;
  spaceId?: string;
  onStart?: (context: AgentContext) => void;
  onTextDelta?: (delta: string, agentId: string) => void;
  onToolActivity?: (activity: ToolActivity) => void;
  /** Where the loop journals its steps, and the steps of an earlier attempt to continue from. */
  journal?: StepJournal;
  /** The run's span, parent of its model and tool call spans. */
  trace?: SpanParent;
}

export interface SpawnOptions {
  name: string;
  seedId?: string;
  priority?: Priority;
  /** The agent profile it runs as (`AGENT_PROFILE_NOT_FOUND` when unknown). */
  profile?: string;
  /** Continue as this agent id (a resumed run keeps its agent's workspace). Default a fresh id. */
  agentId?: string;
}

/** What a run is known by in the scheduler. */
export interface RunIds {
  /** The scheduler task's id. Default a fresh id. */
  runId?: string;
  /** `runId` was made just now (`newId`) and is stored nowhere: the durable queue skips its lookup. */
  freshRunId?: boolean;
  idempotencyKey?: string;
}

export class AgentRunner {
  readonly #options: AgentRunnerOptions;
  /** The profile each agent was spawned with, as it was then (a reload does not change a live agent). */
  readonly #profiles = new Map<string, AgentProfile>();

  constructor(options: AgentRunnerOptions) {
    this.#options = options;
  }

  get options(): AgentRunnerOptions {
    return this.#options;
  }

  /** The profile `name` as the runtime would use it now; throws `AGENT_PROFILE_NOT_FOUND`. */
  profile(name: string): AgentProfile {
    const profile = this.#options.profiles?.(name);
    if (profile === undefined) {
      throw new KernelError(RuntimeErrorCode.agentProfileNotFound, `no agent profile named ${name}`, {
        details: { field: "agent", agent: name },
      });
    }
    return profile;
  }

  /** The profile an agent was spawned with, if any. */
  profileOf(agentId: string): AgentProfile | undefined {
    return this.#profiles.get(agentId);
  }

  /** The skills an agent is told about: its profile's, else the kernel's. */
  skillsOf(agentId: string): readonly Skill[] {
    return this.#profiles.get(agentId)?.skills ?? this.#options.skills?.() ?? [];
  }

  /**
   * Registers an agent with the supervisor (synchronous: the id is known at once).
   *
   * Throws: `AGENT_PROFILE_NOT_FOUND` for an unknown `profile`.
   */
  spawn(options: SpawnOptions): AgentHandle {
    const profile = options.profile === undefined ? undefined : this.profile(options.profile);
    const primary = profile?.models?.[0] ?? this.#options.model;
    const handle = this.#options.supervisor.spawn<AgentJob, AgentRunResult>({
      name: options.name,
      ...(options.agentId === undefined ? {} : { id: options.agentId }),
      rateKey: primary.provider,
      ...(profile === undefined ? {} : { profile: profile.name }),
      ...(options.seedId === undefined ? {} : { seedId: options.seedId }),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...(this.#options.settings?.timeoutMs === undefined ? {} : { timeoutMs: this.#options.settings.timeoutMs }),
      run: (job, context) => this.#execute(job, context),
    });
    if (profile !== undefined) {
      this.#profiles.set(handle.id, profile);
      this.#options.budgets.assign(handle.id, profile.name);
    }
    return handle;
  }

  /** Drops what the runner keeps of an ended agent (`createRuntime` calls it with the budgets' `forget`). */
  forget(agentId: string): void {
    this.#profiles.delete(agentId);
  }

  /**
   * Forgets an agent that is not running (`Supervisor.remove`), so a later attempt at its run
   * in this process can spawn it again under the same id.
   *
   * Throws: `AGENT_BUSY` while it runs.
   */
  remove(agentId: string): void {
    this.#options.supervisor.remove(agentId);
    this.#profiles.delete(agentId);
  }

  /**
   * Ends an agent spawned for one job once that job has settled, so one-shot agents do not
   * pile up as idle entries; the supervisor keeps ended agents listed within its retention.
   */
  async retire(agentId: string, reason: string, removeWorkspace = false): Promise<void> {
    const supervisor = this.#options.supervisor;
    if (supervisor.get(agentId) !== undefined) await supervisor.kill(agentId, reason);
    // Most runs never make their workspace (see `@oxios/tools` `Workspace`); `existsSync` spares
    // them the failed `lstat`, and its error, of removing what is not there.
    const workspace = this.workspaceOf(agentId);
    if (removeWorkspace && existsSync(workspace)) await rm(workspace, { recursive: true, force: true });
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
      ...(ids.freshRunId === true ? { freshRunId: true } : {}),
      ...(ids.idempotencyKey === undefined ? {} : { idempotencyKey: ids.idempotencyKey }),
    });
  }

  /** Runs the agent once inside a lease the scheduler granted to a recovered task. */
  runLeased(agentId: string, job: AgentJob, lease: GrantedLease): Promise<AgentRunResult> {
    return this.#options.supervisor.runLeased<AgentRunResult>(agentId, job, lease);
  }

  async #execute(job: AgentJob, context: AgentContext): Promise<AgentRunResult> {
    const profile = this.#profiles.get(context.agentId);
    const workspaceDir =
      profile?.workspace === "persistent"
        ? `${this.#options.workspaceRoot}/profiles/${profile.name}`
        : this.workspaceOf(context.agentId);
    try {
      return await this.#runLoop(job, context, profile, workspaceDir);
    } finally {
      // A per-run workspace ends with its run (its tools have settled: the loop waits for them).
      // A direct run's (`taskId`) goes when the run concludes, so a run that stopped with the
      // kernel resumes with its workspace.
      if (profile !== undefined && profile.workspace !== "persistent" && job.taskId === undefined) {
        await rm(workspaceDir, { recursive: true, force: true }).catch((error: unknown) =>
          this.#options.logger?.warn("per-run workspace not removed", {
            agentId: context.agentId,
            workspaceDir,
            error: KernelError.from(error).message,
          }),
        );
      }
    }
  }

  async #runLoop(
    job: AgentJob,
    context: AgentContext,
    profile: AgentProfile | undefined,
    workspaceDir: string,
  ): Promise<AgentRunResult> {
    const options = this.#options;
    job.onStart?.(context);
    const registry = options.tools;
    const identity: AgentIdentity = {
      ...(profile?.identity ?? options.identity),
      agentId: context.agentId,
      workspaceDir,
      ...(job.sessionId === undefined ? {} : { sessionId: job.sessionId }),
      ...(profile === undefined ? {} : { profile: profile.name }),
      ...(job.taskId === undefined ? {} : { runId: job.taskId }),
      ...(job.trace === undefined ? {} : { traceId: job.trace.traceId }),
    };
    // The session (and the workspace on disk) is opened at the first tool call, not before the run.
    const tools =
      registry === undefined
        ? undefined
        : GatedToolExecutor.lazy(
            registry.offered(identity),
            () => registry.session(identity, { signal: context.signal }),
            {
              onActivity: (activity) => {
                context.heartbeat();
                job.onToolActivity?.(activity);
              },
            },
          );
    const [model = options.model, ...fallbacks] = profile?.models ?? [options.model];
    const loop = new AgentLoop({
      model,
      ...(fallbacks.length === 0 ? {} : { fallbacks }),
      ...(options.tools === undefined || job.taskId === undefined
        ? {}
        : {
            restoredCall: (callId: string) =>
              options.tools?.approvals.restoredCall(job.taskId as string, callId) === true,
          }),
      clock: options.clock,
      breakers: options.breakers,
      budgets: options.budgets,
      ...(tools ? { tools } : {}),
      ...(options.memory ? { memory: options.memory } : {}),
      ...(options.publisher ? { publisher: options.publisher } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      // Only a run with a span of its own (direct or orchestrated) is traced: no orphan model-call traces.
      ...(options.tracer && job.trace ? { tracer: options.tracer } : {}),
    });
    const settings = options.settings ?? {};
    const persona = profile?.systemPrompt ?? settings.persona;
    const skills = this.skillsOf(context.agentId).map(({ name, description }) => ({ name, description }));
    return loop.run({
      agentId: context.agentId,
      runId: context.runId,
      seed: job.seed,
      signal: context.signal,
      ...(job.input === undefined ? {} : { input: job.input }),
      ...(job.sessionId === undefined ? {} : { sessionId: job.sessionId }),
      ...(job.spaceId === undefined ? {} : { spaceId: job.spaceId }),
      ...(persona === undefined ? {} : { persona }),
      ...(skills.length === 0 ? {} : { skills }),
      ...(settings.maxSteps === undefined ? {} : { maxSteps: settings.maxSteps }),
      ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
      ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
      ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }),
      ...(settings.contextWindow === undefined ? {} : { contextWindow: settings.contextWindow }),
      ...(job.journal === undefined ? {} : { journal: job.journal }),
      ...(job.trace === undefined ? {} : { trace: job.trace }),
      onModelCall: () => context.heartbeat(),
      beforeToolCall: () => context.heartbeat(),
      // Only a caller that follows the text makes the loop stream (see AgentRunRequest.onTextDelta).
      ...(job.onTextDelta === undefined
        ? {}
        : {
            onTextDelta: (delta: string) => {
              context.heartbeat();
              job.onTextDelta?.(delta, context.agentId);
            },
          }),
    });
  }
}
