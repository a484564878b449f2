/**
 * The Ouroboros pipeline: a message becomes work.
 *
 *   detect the space → append to the session's conversation buffer → interview →
 *   chat reply | clarifying questions | seed → seed saved (StateStore) and committed (git,
 *   awaited) → run as a supervised agent (Supervisor.run → Scheduler.run: admitted) →
 *   evaluate (mechanical first, the model when inconclusive; pass ≥ 0.8) → evolve and rerun
 *   at most 3 times keeping the best → the episode stored as a memory → OrchestrationResult.
 *
 * With a tracer, each agent run is an `invoke_agent` span (model and tool calls its children):
 * a message's first run starts its trace, and its later runs (group parts, evolutions) are
 * children of that first span, in the same trace; the result carries the trace id.
 *
 * A seed with five or more acceptance criteria is split into subtasks that run in parallel
 * as an agent group. Interview sessions live in the StateStore, so they survive restarts.
 * `stream()` is the same pipeline as an async iterator of phases, text deltas, tool activity
 * and the final result.
 */

import { type Clock, KernelError, type Logger, newId, throwIfAborted } from "@oxios/core";
import {
  createEvent,
  type EventPublisher,
  type KernelEventOf,
  type KernelEventType,
  type Priority,
} from "@oxios/event-bus";
import type { SpaceManager } from "@oxios/space";
import { spaceTag } from "@oxios/space";
import type { GitLayer, StateStore } from "@oxios/state-store";
import type { ToolActivity } from "./adapters/gated-tool-executor.ts";
import type { AgentJob, AgentRunner } from "./agent-runner.ts";
import { RuntimeErrorCode } from "./error-codes.ts";
import { type Evaluation, evaluate, type RunOutcome } from "./evaluate.ts";
import { EventChannel } from "./event-channel.ts";
import { splitSeed } from "./internal/split-seed.ts";
import { type InterviewDecision, interview } from "./interview.ts";
import { assertSessionId, type InterviewSession, InterviewSessions } from "./interview-sessions.ts";
import type { AgentMemoryPort } from "./ports.ts";
import type { ResolvedModel } from "./providers/resolve-model.ts";
import { describeRun, endedStatus, startRunSpan } from "./run-spans.ts";
import type { Seed } from "./system-prompt.ts";
import { truncateChars } from "./text.ts";
import type { SpanParent, Tracer } from "./tracing.ts";

export const MAX_EVOLUTIONS = 3;
export const GROUP_THRESHOLD = 5;

export type Phase = "space" | "interview" | "seed" | "execute" | "evaluate" | "evolve" | "memory";

export interface OrchestrationRequest {
  text: string;
  /** Default: a new session. */
  sessionId?: string;
  /** An explicit space (detection's first rule). */
  spaceId?: string;
  /** The user's working directory, for path-based space detection. */
  cwd?: string;
  priority?: Priority;
  signal?: AbortSignal;
  /** The agent profile the task's agents run as (its first model also interviews and evaluates). */
  agent?: string;
}

export interface OrchestrationResult {
  response: string;
  sessionId: string;
  spaceId: string;
  spaceTag: string;
  seedId?: string;
  agentId?: string;
  /** What the message turned out to be. */
  kind: "chat" | "questions" | "task";
  phaseReached: Phase;
  evaluationPassed?: boolean;
  score?: number;
  /** Runs made (1 + evolutions). */
  generations?: number;
  /** The OpenTelemetry trace of the message's agent runs (32 hex digits) when the kernel exports traces. */
  traceId?: string;
  /** 0: answered, asked, or the task passed; 1: the best run failed its evaluation. */
  exitCode: 0 | 1;
  durationMs: number;
}

export type OrchestrationEvent =
  | { type: "phase"; phase: Phase; status: "started" | "completed" }
  | { type: "text"; delta: string; agentId?: string }
  | ToolActivity
  | { type: "result"; result: OrchestrationResult };

export interface OrchestrationStream {
  events: AsyncIterable<OrchestrationEvent>;
  /** Settles with the result (also delivered as the last event) or rejects with the error. */
  result: Promise<OrchestrationResult>;
}

export interface OrchestratorOptions {
  runner: AgentRunner;
  spaces: SpaceManager;
  state: StateStore;
  /** When given, every seed is committed (awaited) after it is saved. */
  git?: GitLayer;
  memory?: AgentMemoryPort;
  publisher?: EventPublisher;
  clock: Clock;
  logger?: Logger;
  /** Names of the tools agents may have (the evaluator's tool rule). */
  toolNames?: () => readonly string[];
  /** Reruns after a failed evaluation, 0–3. Default 3. */
  maxEvolutions?: number;
  /** Where each agent run's `invoke_agent` span goes (its model and tool calls are children). */
  tracer?: Tracer;
}

/** What the runs of one message share. */
interface RunContext {
  sessionId: string;
  spaceId: string;
  signal: AbortSignal | undefined;
  observe: Observer;
  priority: Priority | undefined;
  model: ResolvedModel;
  profile: string | undefined;
  /** The span of the message's first run, once it started: later runs are its children. */
  trace: SpanParent | undefined;
}

interface Attempt {
  seed: Seed;
  agentIds: string[];
  outcome: RunOutcome;
  evaluation: Evaluation;
  generation: number;
}

type Observer = (event: OrchestrationEvent) => void;

const SOURCE = "runtime.orchestrator";

export class Orchestrator {
  readonly #options: OrchestratorOptions;
  readonly #sessions: InterviewSessions;
  readonly #maxEvolutions: number;

  constructor(options: OrchestratorOptions) {
    this.#options = options;
    this.#sessions = new InterviewSessions(options.state);
    const max = options.maxEvolutions ?? MAX_EVOLUTIONS;
    if (!Number.isInteger(max) || max < 0 || max > MAX_EVOLUTIONS) {
      throw new KernelError(RuntimeErrorCode.configInvalid, `maxEvolutions must be an integer 0–${MAX_EVOLUTIONS}`);
    }
    this.#maxEvolutions = max;
  }

  /** The whole pipeline for one message. */
  handle(request: OrchestrationRequest, observer?: Observer): Promise<OrchestrationResult> {
    return this.#handle(request, observer ?? (() => undefined));
  }

  /** The pipeline as a stream of events; the kernel's `POST /api/chat/stream` reads it. */
  stream(request: OrchestrationRequest): OrchestrationStream {
    const channel = new EventChannel<OrchestrationEvent>();
    const result = this.#handle(request, (event) => channel.push(event)).then(
      (value) => {
        channel.push({ type: "result", result: value });
        channel.close();
        return value;
      },
      (error: unknown) => {
        channel.close();
        throw error;
      },
    );
    return { events: channel, result };
  }

  async #handle(request: OrchestrationRequest, observe: Observer): Promise<OrchestrationResult> {
    const { clock, spaces } = this.#options;
    const startedAt = clock.now();
    const text = request.text.trim();
    if (text.length === 0) throw new KernelError(RuntimeErrorCode.messageEmpty, "the message is empty");
    const sessionId = request.sessionId ?? newId(clock.now());
    assertSessionId(sessionId);
    const signal = request.signal;
    // An unknown profile is refused before anything is stored.
    const profile = request.agent === undefined ? undefined : this.#options.runner.profile(request.agent);
    const model = profile?.models?.[0] ?? this.#options.runner.options.model;

    const resolution = await this.#phase(sessionId, "space", observe, async () => {
      const found = await spaces.detectOrCreate(text, {
        sessionId,
        ...(request.spaceId ? { explicitIds: [request.spaceId] } : {}),
        ...(request.cwd ? { cwd: request.cwd } : {}),
      });
      await spaces.activate(found.space.id, sessionId);
      return found;
    });
    const space = resolution.space;
    this.#publish("message.received", { sessionId, spaceId: space.id, text: truncateChars(text, 2_000) });
    await spaces.conversations.append(sessionId, { role: "user", content: text });
    const base = { sessionId, spaceId: space.id, spaceTag: spaceTag(space) };
    const finish = (fields: Omit<OrchestrationResult, "sessionId" | "spaceId" | "spaceTag" | "durationMs">) =>
      ({ ...base, ...fields, durationMs: clock.now() - startedAt }) satisfies OrchestrationResult;

    // The interview sees the session's turns since its last task, kept in the StateStore.
    const session: InterviewSession = (await this.#sessions.load(sessionId)) ?? {
      sessionId,
      spaceId: space.id,
      turns: [],
      questionRounds: 0,
      updatedAt: clock.now(),
    };
    session.turns.push({ role: "user", text });
    session.spaceId = space.id;
    session.updatedAt = clock.now();
    await this.#sessions.save(session);
    throwIfAborted(signal);

    const { runner } = this.#options;
    const decision: InterviewDecision = await this.#phase(sessionId, "interview", observe, () =>
      interview(session.turns, {
        questionRounds: session.questionRounds,
        model,
        clock,
        breakers: runner.options.breakers,
        ...(runner.options.retry ? { retry: runner.options.retry } : {}),
        ...(signal ? { signal } : {}),
      }),
    );

    if (decision.kind === "chat" || decision.kind === "questions") {
      const response =
        decision.kind === "chat"
          ? decision.reply
          : decision.questions.map((question, index) => `${index + 1}. ${question}`).join("\n");
      if (decision.kind === "chat") {
        session.turns = [];
        session.questionRounds = 0;
      } else {
        session.turns.push({ role: "assistant", text: response });
        session.questionRounds += 1;
      }
      session.updatedAt = clock.now();
      await this.#sessions.save(session);
      await spaces.conversations.append(sessionId, { role: "assistant", content: response });
      observe({ type: "text", delta: response });
      return finish({ response, kind: decision.kind, phaseReached: "interview", exitCode: 0 });
    }

    const seedId = newId(clock.now());
    const seed: Seed = { ...decision.seed, id: seedId };
    await this.#phase(sessionId, "seed", observe, async () => {
      await this.#saveSeed(seedId, seed, {
        sessionId,
        spaceId: space.id,
        generation: 0,
        ambiguity: decision.ambiguity,
      });
      this.#publish("seed.created", {
        seedId,
        sessionId,
        goal: truncateChars(seed.goal, 500),
        criteria: seed.acceptanceCriteria?.length ?? 0,
      });
    });
    session.turns = [];
    session.questionRounds = 0;
    session.updatedAt = clock.now();
    await this.#sessions.save(session);

    const context: RunContext = {
      sessionId,
      spaceId: space.id,
      signal,
      observe,
      priority: request.priority,
      model,
      profile: request.agent,
      trace: undefined,
    };
    let best = await this.#attempt(seed, seedId, 0, context);
    let current = best;
    let generation = 0;
    while (!current.evaluation.passed && generation < this.#maxEvolutions) {
      generation += 1;
      this.#publish("evolution.started", { seedId, generation });
      const evolved = await this.#phase(sessionId, "evolve", observe, async () => {
        const next = evolveSeed(current.seed, current.evaluation);
        await this.#saveSeed(`${seedId}-g${generation}`, next, {
          sessionId,
          spaceId: space.id,
          generation,
          parent: seedId,
        });
        return next;
      });
      current = await this.#attempt(evolved, seedId, generation, context);
      if (current.evaluation.score > best.evaluation.score) best = current;
    }
    if (!best.evaluation.passed && this.#maxEvolutions > 0 && generation === this.#maxEvolutions) {
      this.#publish("evolution.max-reached", { seedId, generations: generation + 1, bestScore: best.evaluation.score });
    }

    const response = best.outcome.ok ? best.outcome.result.text : `The run failed: ${best.outcome.message}`;
    await this.#phase(sessionId, "memory", observe, () =>
      this.#storeEpisode(seed, best, { sessionId, spaceId: space.id }),
    );
    await spaces.conversations.append(sessionId, { role: "assistant", content: response });
    return finish({
      response,
      kind: "task",
      seedId,
      ...(best.agentIds[0] === undefined ? {} : { agentId: best.agentIds[0] }),
      phaseReached: generation > 0 ? "evolve" : "evaluate",
      evaluationPassed: best.evaluation.passed,
      score: best.evaluation.score,
      generations: generation + 1,
      ...(context.trace === undefined ? {} : { traceId: context.trace.traceId }),
      exitCode: best.evaluation.passed ? 0 : 1,
    });
  }

  /** One run of a seed (a group when it has ≥ 5 criteria) and its evaluation. */
  async #attempt(seed: Seed, seedId: string, generation: number, context: RunContext): Promise<Attempt> {
    const { sessionId, observe } = context;
    const criteria = seed.acceptanceCriteria ?? [];
    const parts = criteria.length >= GROUP_THRESHOLD ? splitSeed(seed) : [seed];
    const runs = await this.#phase(sessionId, "execute", observe, async () => {
      const agents = parts.map((_part, index) =>
        this.#options.runner.spawn({
          name: parts.length > 1 ? `seed ${seedId} part ${index + 1}` : `seed ${seedId}`,
          seedId,
          ...(context.priority ? { priority: context.priority } : {}),
          ...(context.profile === undefined ? {} : { profile: context.profile }),
        }),
      );
      const groupId = parts.length > 1 ? newId(this.#options.clock.now()) : undefined;
      if (groupId !== undefined) {
        this.#publish("agent-group.created", { groupId, agentIds: agents.map((agent) => agent.id), seedId });
      }
      return Promise.all(
        parts.map(async (part, index) => {
          const agentId = agents[index]?.id ?? "";
          const outcome = await this.#runOne(agentId, part, { seedId, generation }, context);
          const evaluation =
            groupId === undefined
              ? undefined
              : await this.#evaluate(part.acceptanceCriteria ?? [], outcome, context.signal, context.model);
          if (groupId !== undefined) {
            this.#publish("agent-group.member-completed", {
              groupId,
              agentId,
              passed: evaluation?.passed ?? false,
            });
          }
          return { agentId, part, outcome, evaluation };
        }),
      );
    });
    throwIfAborted(context.signal);
    const evaluation = await this.#phase(sessionId, "evaluate", observe, async () => {
      if (runs.length === 1 && runs[0] !== undefined) {
        return this.#evaluate(criteria, runs[0].outcome, context.signal, context.model);
      }
      const verdicts = runs.flatMap((run) => run.evaluation?.verdicts ?? []);
      const score = Math.round((verdicts.reduce((sum, item) => sum + item.score, 0) / verdicts.length) * 1e6) / 1e6;
      return {
        score,
        passed: score >= 0.8,
        verdicts,
        modelJudged: runs.some((run) => run.evaluation?.modelJudged === true),
      } satisfies Evaluation;
    });
    this.#publish("evaluation.completed", { seedId, score: evaluation.score, passed: evaluation.passed, generation });
    return {
      seed,
      agentIds: runs.map((run) => run.agentId),
      outcome: combineOutcomes(runs.map((run) => run.outcome)),
      evaluation,
      generation,
    };
  }

  /** One agent run in its `invoke_agent` span (started before the first await: part 1 starts the trace). */
  async #runOne(
    agentId: string,
    seed: Seed,
    of: { seedId: string; generation: number },
    context: RunContext,
  ): Promise<RunOutcome> {
    const span = startRunSpan(
      this.#options.tracer,
      {
        agentId,
        ...of,
        sessionId: context.sessionId,
        ...(context.profile === undefined ? {} : { agent: context.profile }),
      },
      context.trace,
    );
    if (span !== undefined) context.trace ??= span.context;
    const job: AgentJob = {
      seed,
      sessionId: context.sessionId,
      spaceId: context.spaceId,
      onTextDelta: (delta, id) => context.observe({ type: "text", delta, agentId: id }),
      onToolActivity: (activity) => context.observe(activity),
      ...(span === undefined ? {} : { trace: span.context }),
    };
    try {
      const result = await this.#options.runner.run(agentId, job, context.signal);
      if (span !== undefined) describeRun(span, { ...result, status: "completed" });
      return { ok: true, result };
    } catch (error) {
      const failure = KernelError.from(error, RuntimeErrorCode.runFailed);
      if (span !== undefined) describeRun(span, { status: endedStatus(failure.code), error: failure });
      // The caller's abort ends the pipeline; any other failure is a run that scored 0.
      throwIfAborted(context.signal);
      this.#options.logger?.warn("agent run failed", { agentId, code: failure.code, message: failure.message });
      return { ok: false, code: failure.code, message: failure.message };
    } finally {
      span?.end();
      // Each attempt's agent is one-shot: end it so a long-running kernel does not collect idle agents.
      await this.#options.runner.retire(agentId, "attempt finished");
    }
  }

  #evaluate(
    criteria: readonly string[],
    outcome: RunOutcome,
    signal: AbortSignal | undefined,
    model: ResolvedModel,
  ): Promise<Evaluation> {
    const runner = this.#options.runner.options;
    return evaluate(criteria, outcome, {
      model,
      clock: this.#options.clock,
      breakers: runner.breakers,
      ...(runner.retry ? { retry: runner.retry } : {}),
      ...(signal ? { signal } : {}),
      toolNames: this.#options.toolNames?.() ?? [],
    });
  }

  /** Saves the seed (durable) and, with a git layer, commits it (awaited). */
  async #saveSeed(name: string, seed: Seed, meta: Record<string, unknown>): Promise<void> {
    await this.#options.state.save("seeds", name, {
      ...seed,
      ...meta,
      createdAt: this.#options.clock.now(),
    });
    if (this.#options.git) {
      await this.#options.git.commit([`seeds/${name}.json`], `seed ${name}: ${truncateChars(seed.goal, 60)}`);
    }
  }

  async #storeEpisode(seed: Seed, best: Attempt, where: { sessionId: string; spaceId: string }): Promise<void> {
    const memory = this.#options.memory;
    if (memory === undefined) {
      this.#options.logger?.info("episode not stored: no memory port configured", { seedId: seed.id });
      return;
    }
    const outcome = best.outcome.ok
      ? truncateChars(best.outcome.result.text, 2_000)
      : `failed: ${best.outcome.message}`;
    await memory.store({
      content: truncateChars(
        `Task: ${seed.goal}\nOutcome (score ${best.evaluation.score}, ${best.evaluation.passed ? "passed" : "not passed"}): ${outcome}`,
        8_000,
      ),
      type: "episode",
      tags: ["episode"],
      agentId: best.agentIds[0] ?? "orchestrator",
      sessionId: where.sessionId,
      spaceId: where.spaceId,
    });
  }

  async #phase<T>(sessionId: string, phase: Phase, observe: Observer, work: () => Promise<T>): Promise<T> {
    const startedAt = this.#options.clock.now();
    this.#publish("phase.started", { sessionId, phase });
    observe({ type: "phase", phase, status: "started" });
    const value = await work();
    this.#publish("phase.completed", { sessionId, phase, durationMs: this.#options.clock.now() - startedAt });
    observe({ type: "phase", phase, status: "completed" });
    return value;
  }

  #publish<T extends KernelEventType>(type: T, payload: KernelEventOf<T>["payload"]): void {
    this.#options.publisher?.publish(createEvent(type, payload, SOURCE, this.#options.clock.now()));
  }
}

/** The next generation: the same goal with the evaluator's findings as constraints. */
export function evolveSeed(seed: Seed, evaluation: Evaluation): Seed {
  const findings = evaluation.verdicts
    .filter((verdict) => verdict.score < 1)
    .map((verdict) => truncateChars(`Previous attempt missed "${verdict.criterion}": ${verdict.reason}`, 400));
  const kept = (seed.constraints ?? []).filter((item) => !item.startsWith("Previous attempt missed "));
  return { ...seed, constraints: [...kept, ...findings] };
}

function combineOutcomes(outcomes: RunOutcome[]): RunOutcome {
  const first = outcomes[0];
  if (outcomes.length === 1 && first !== undefined) return first;
  const failed = outcomes.find((outcome) => !outcome.ok);
  if (failed !== undefined) return failed;
  const results = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.result] : []));
  const head = results[0];
  if (head === undefined) return { ok: false, code: RuntimeErrorCode.runFailed, message: "no run" };
  return {
    ok: true,
    result: {
      ...head,
      text: results.map((result) => result.text).join("\n\n"),
      toolCalls: results.flatMap((result) => result.toolCalls),
      steps: results.reduce((sum, result) => sum + result.steps, 0),
      finishReason: results.every((result) => result.finishReason === "stop") ? "stop" : "max-steps",
    },
  };
}
