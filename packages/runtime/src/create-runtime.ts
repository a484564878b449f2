/**
 * The composition helper: wires the agent runner, the orchestrator and direct runs from the
 * kernel's instances. The scheduler must have been built with a `canAdmit` that asks the
 * runtime's `canAdmit` (or at least `budgets.canAdmit`, passing the same `budgets` here), so
 * token budgets, profile windows and profile caps gate admission.
 */

import type { Clock, Logger, Redactor } from "@oxios/core";
import type { EventPublisher } from "@oxios/event-bus";
import type { MemoryStore } from "@oxios/memory";
import type { Scheduler, TaskRecord } from "@oxios/scheduler";
import type { SpaceManager } from "@oxios/space";
import type { GitLayer, StateStore } from "@oxios/state-store";
import type { Supervisor } from "@oxios/supervisor";
import type { ToolRegistry } from "@oxios/tools";
import { MemoryStorePort } from "./adapters/memory-adapters.ts";
import type { AgentProfile, ProfileLookup, Skill } from "./agent-profile.ts";
import { type AgentIdentityTemplate, AgentRunner, type AgentSettings } from "./agent-runner.ts";
import { CircuitBreakers } from "./circuit-breaker.ts";
import { DirectRuns, type RunGoalRequest, type RunHandle, type RunRecord } from "./direct-runs.ts";
import {
  type OrchestrationRequest,
  type OrchestrationResult,
  type OrchestrationStream,
  Orchestrator,
} from "./orchestrator.ts";
import type { AgentMemoryPort } from "./ports.ts";
import type { RetryPolicy } from "./provider-call.ts";
import type { ResolvedModel } from "./providers/resolve-model.ts";
import type { RunJournal } from "./run-journal.ts";
import { TokenBudgets } from "./token-budgets.ts";
import type { Tracer } from "./tracing.ts";

export interface RuntimeOptions {
  model: ResolvedModel;
  clock: Clock;
  logger?: Logger;
  publisher: EventPublisher;
  scheduler: Scheduler;
  supervisor: Supervisor;
  spaces: SpaceManager;
  state: StateStore;
  /** Seeds are committed through it (awaited) when given. */
  git?: GitLayer;
  /** The gate. Build it with `ports.memory: new MemoryStoreToolPort(memory)` for memory tools. */
  tools?: ToolRegistry;
  /** A MemoryStore (wrapped in `MemoryStorePort`) or any `AgentMemoryPort`. */
  memory?: MemoryStore | AgentMemoryPort;
  /** The budgets behind the scheduler's `canAdmit`; default a new `TokenBudgets()`. */
  budgets?: TokenBudgets;
  breakers?: CircuitBreakers;
  retry?: RetryPolicy;
  /** Agent workspaces: `<workspaceRoot>/<agentId>`. */
  workspaceRoot: string;
  identity?: AgentIdentityTemplate;
  agent?: AgentSettings;
  /** Agent profiles by name (`agent` on runs and chat); looked up at each spawn, so a reload applies to new runs. */
  profiles?: ProfileLookup;
  /** Skills listed to agents without a profile. */
  skills?: () => readonly Skill[];
  /** Reruns after a failed evaluation, 0–3. Default 3. */
  maxEvolutions?: number;
  /** Replaces known secrets in direct runs' records (the kernel passes its one redactor). */
  redactor?: Redactor;
  /** Makes direct runs durable: records and steps journalled, resumable after a crash. */
  journal?: RunJournal;
  /** Keep an ended direct run's workspace directory (default: removed with its agent). */
  keepWorkspaces?: boolean;
  /** Traces direct and orchestrated runs: a span per agent run, model call and tool call (see `Tracer`). */
  tracer?: Tracer;
}

/**
 * The runtime wired from the kernel's instances. Each method's comment says how it fails
 * ("Throws:") and what a cancellation does to it ("Abort:"); `getRun`, `listRuns`,
 * `canAdmit` and `skillsOf` throw nothing and take no signal.
 */
export interface Runtime {
  readonly budgets: TokenBudgets;
  readonly breakers: CircuitBreakers;
  readonly orchestrator: Orchestrator;
  readonly runner: AgentRunner;
  /** Direct runs: start, resume, requeue and conclude journalled runs, read and cancel them. */
  readonly runs: DirectRuns;
  /**
   * The Ouroboros pipeline for one message.
   *
   * Throws: `RUNTIME_MESSAGE_EMPTY` for a blank message; `RUNTIME_SESSION_INVALID` /
   * `RUNTIME_SESSION_CORRUPT` for a bad or unreadable interview session; the model's
   * `PROVIDER_*` and `RUNTIME_BUDGET_EXCEEDED` from the interview call; the space, state and
   * memory codes of the stores it writes to. A run that fails is an evaluated outcome, not
   * a rejection.
   * Abort: `request.signal` aborts the interview call and every run it started (`ABORTED`);
   * the seed and session saved before it stay.
   */
  handle(request: OrchestrationRequest): Promise<OrchestrationResult>;
  /**
   * The same as a stream of events (phases, text deltas, tool activity, the result).
   *
   * Throws: nothing itself; `result` rejects with `handle`'s error and the events end.
   * Abort: as `handle`; leaving the events early does not abort the pipeline.
   */
  stream(request: OrchestrationRequest): OrchestrationStream;
  /**
   * Starts a direct run; ids at once, the final record through `result` (which never rejects:
   * a failed or cancelled run is a record with `status` and `error.code`).
   *
   * Throws: `RUNTIME_CLOSED` after `close()`; `RUNTIME_MESSAGE_EMPTY` for a blank goal;
   * `AGENT_BUSY` when `agentId` already has a run; `SUPERVISOR_SHUTTING_DOWN` while the
   * supervisor stops.
   * Abort: `request.signal` (or `cancelRun`) cancels the run, queued or running; its record
   * ends `cancelled` with `ABORTED` (or `AGENT_KILLED`).
   */
  runGoal(request: RunGoalRequest): RunHandle;
  getRun(taskId: string): RunRecord | undefined;
  listRuns(): RunRecord[];
  /**
   * Cancels a queued or running direct run; resolves once it has settled. False when the run
   * is unknown or already finished.
   *
   * Throws: nothing. Abort: takes no signal; the wait is bounded by the supervisor's kill grace.
   */
  cancelRun(taskId: string, reason?: string): Promise<boolean>;
  /**
   * Sets an agent's token limit and lets the scheduler reconsider waiting tasks.
   *
   * Throws: `RUNTIME_BUDGET_INVALID` for a negative limit. Abort: takes no signal (synchronous).
   */
  setBudget(agentId: string, tokens: number): void;
  /**
   * A profile as runs would use it now.
   *
   * Throws: `AGENT_PROFILE_NOT_FOUND`. Abort: takes no signal (synchronous).
   */
  profile(name: string): AgentProfile;
  /**
   * The scheduler's admission hook: the budgets (agent limits, profile windows) and each
   * profile's `maxConcurrent`, counted over the scheduler's running tasks — so it holds in the
   * scheduler's one synchronous admission step.
   */
  canAdmit(task: Pick<TaskRecord, "agentId">): boolean;
  /** The skills an agent is told about (`skill_read`'s port reads through it). */
  skillsOf(agentId: string): readonly Skill[];
  /**
   * Refuses new direct runs, stops the live ones and joins them (journalled runs are left
   * resumable); stops forgetting ended agents' budgets.
   *
   * Throws: nothing. Abort: takes no signal; it waits for each live run to settle.
   */
  close(): Promise<void>;
}

export function createRuntime(options: RuntimeOptions): Runtime {
  const budgets = options.budgets ?? new TokenBudgets();
  const breakers = options.breakers ?? new CircuitBreakers({ clock: options.clock });
  const memory: AgentMemoryPort | undefined =
    options.memory === undefined
      ? undefined
      : isMemoryPort(options.memory)
        ? options.memory
        : new MemoryStorePort(options.memory);
  const runner = new AgentRunner({
    model: options.model,
    clock: options.clock,
    breakers,
    budgets,
    supervisor: options.supervisor,
    workspaceRoot: options.workspaceRoot,
    publisher: options.publisher,
    ...(options.tools ? { tools: options.tools } : {}),
    ...(memory ? { memory } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.agent ? { settings: options.agent } : {}),
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(options.skills ? { skills: options.skills } : {}),
    ...(options.tracer ? { tracer: options.tracer } : {}),
  });
  const orchestrator = new Orchestrator({
    runner,
    spaces: options.spaces,
    state: options.state,
    clock: options.clock,
    publisher: options.publisher,
    toolNames: () => options.tools?.names() ?? [],
    ...(options.git ? { git: options.git } : {}),
    ...(memory ? { memory } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.maxEvolutions === undefined ? {} : { maxEvolutions: options.maxEvolutions }),
    ...(options.tracer ? { tracer: options.tracer } : {}),
  });
  const runs = new DirectRuns({
    runner,
    clock: options.clock,
    keys: options.scheduler,
    publisher: options.publisher,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.redactor ? { redactor: options.redactor } : {}),
    ...(options.journal ? { journal: options.journal } : {}),
    ...(options.keepWorkspaces === undefined ? {} : { keepWorkspaces: options.keepWorkspaces }),
    ...(options.tracer ? { tracer: options.tracer } : {}),
  });
  // An agent's budget entry ends with the agent (every direct run spawns one).
  const stopForgetting = options.supervisor.onAgentEnded((agentId) => {
    budgets.forget(agentId);
    runner.forget(agentId);
  });
  const withinProfileCap = (agentId: string): boolean => {
    const spawnedWith = runner.profileOf(agentId);
    if (spawnedWith === undefined) return true;
    const cap = options.profiles?.(spawnedWith.name)?.maxConcurrent ?? spawnedWith.maxConcurrent;
    if (cap === undefined) return true;
    let running = 0;
    for (const task of options.scheduler.running()) {
      if (task.agentId !== undefined && runner.profileOf(task.agentId)?.name === spawnedWith.name) running += 1;
    }
    return running < cap;
  };
  return {
    budgets,
    breakers,
    orchestrator,
    runner,
    runs,
    handle: (request) => orchestrator.handle(request),
    stream: (request) => orchestrator.stream(request),
    runGoal: (request) => runs.runGoal(request),
    getRun: (taskId) => runs.get(taskId),
    listRuns: () => runs.list(),
    cancelRun: (taskId, reason) => runs.cancel(taskId, reason),
    setBudget(agentId, tokens) {
      budgets.setLimit(agentId, tokens);
      options.scheduler.reconsider();
    },
    profile: (name) => runner.profile(name),
    skillsOf: (agentId) => runner.skillsOf(agentId),
    canAdmit: (task) => budgets.canAdmit(task) && (task.agentId === undefined || withinProfileCap(task.agentId)),
    async close() {
      await runs.close();
      stopForgetting();
      budgets.close();
    },
  };
}

function isMemoryPort(memory: MemoryStore | AgentMemoryPort): memory is AgentMemoryPort {
  return typeof (memory as Partial<AgentMemoryPort>).store === "function";
}
