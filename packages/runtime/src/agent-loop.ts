/**
 * The agent tool loop: model ↔ tools until the model answers without calling a tool, or
 * `maxSteps` model calls have been made.
 *
 * Guarantees, each with a test beside this file:
 * - The run's AbortSignal (caller's signal + the run timeout on the Clock) reaches the HTTP
 *   request to the model and every tool call; an abort ends the run with `ABORTED` /
 *   `TIMED_OUT` after the tools it started have settled.
 * - Several tool calls in one step run in parallel.
 * - Malformed tool arguments never reach a tool: the model gets a `TOOL_INPUT_INVALID`
 *   tool error and may retry, bounded by `maxSteps`.
 * - Every model call goes through the model's circuit breaker and retry policy; its
 *   token usage is recorded for the agent, and no call is made once the agent's budget is
 *   spent (`RUNTIME_BUDGET_EXCEEDED`).
 * - With `fallbacks`, a call the model cannot take (its breaker is open, or it failed with a
 *   retryable error before any text streamed) goes to the next model at once, announced as
 *   `model.failed-over`; only the last model retries with backoff. The result names the model
 *   that answered.
 * - When the context passes `compactAt` (80 %) of the model window, older messages are
 *   summarized and the summary is stored through the memory port — awaited — before the
 *   loop makes its next model call.
 * - With a `journal`, every step is journalled, in order: the prompt, each model response, each
 *   tool call before it runs and its result after. A tool runs only once its `tool-call` step
 *   and every step before it are durable, and the run returns only once all its steps are; the
 *   other steps are written ahead while the loop goes on (`StepWriter`), so they share a commit
 *   with the steps after them. A write that fails fails the run at the next of those points.
 *   A run given the steps of an
 *   earlier attempt continues from the last one (`replaySteps`): it makes no model call and
 *   runs no tool whose result is journalled; a call that was in flight runs again only when
 *   its tool is idempotent, otherwise the model is told its outcome is unknown.
 */

import type { LanguageModelV3FunctionTool, LanguageModelV3Prompt } from "@ai-sdk/provider";
import {
  abortError,
  anySignal,
  type Clock,
  CoreErrorCode,
  estimateTokens,
  KernelError,
  type Logger,
  newId,
  throwIfAborted,
  timeoutSignal,
} from "@oxios/core";
import { createEvent, type EventPublisher } from "@oxios/event-bus";
import { ToolErrorCode } from "@oxios/tools";
import { modelSpec, type SkillSummary } from "./agent-profile.ts";
import type { CircuitBreakers } from "./circuit-breaker.ts";
import { RuntimeErrorCode } from "./error-codes.ts";
import {
  compactionCallOptions,
  contentText,
  fromUsage,
  generatedOutcome,
  generateStep,
  type StepResult,
  stepCallOptions,
  streamStep,
  toModelTool,
  transcriptText,
} from "./model-step.ts";
import type { AgentMemoryPort, ToolCallRequest, ToolExecutor } from "./ports.ts";
import { callProvider, type RetryPolicy } from "./provider-call.ts";
import { isRetryableProviderError, toProviderError } from "./provider-errors.ts";
import type { ResolvedModel } from "./providers/resolve-model.ts";
import type { RequestedToolCall, StepJournal } from "./run-journal.ts";
import { closeTurn, type OpenToolCalls, type ReplayedRun, replaySteps } from "./run-replay.ts";
import { StepWriter } from "./step-writer.ts";
import { buildSystemPrompt, type Seed } from "./system-prompt.ts";
import { truncateChars } from "./text.ts";
import type { TokenBudgets, TokenUsage } from "./token-budgets.ts";
import { type ModelCallOutcome, traceModelCall, traceToolCall } from "./traced-calls.ts";
import type { SpanParent, Tracer } from "./tracing.ts";
import { assistantMessage, compact, openingMessages, requestedInput, type ToolCallRecord } from "./transcript.ts";

export type { ToolCallRecord };

/** The code a tool call gets when the process stopped while it ran and its tool is not idempotent. */
export const TOOL_OUTCOME_UNKNOWN = RuntimeErrorCode.toolOutcomeUnknown;

export const AGENT_DEFAULTS = {
  maxSteps: 8,
  timeoutMs: 300_000,
  temperature: 0.7,
  maxTokens: 8_192,
  contextWindow: 128_000,
  compactAt: 0.8,
  recallLimit: 5,
} as const;

export interface AgentLoopOptions {
  model: ResolvedModel;
  /** Models that take a call `model` cannot, in order (a profile's `fallback_models`). */
  fallbacks?: readonly ResolvedModel[];
  /**
   * True for a call journalled as started that provably never ran: it was waiting for an
   * approval the gate kept across the restart. Such a call goes through the gate again (to
   * that same approval) instead of being reported `TOOL_OUTCOME_UNKNOWN`.
   */
  restoredCall?: (callId: string) => boolean;
  clock: Clock;
  breakers: CircuitBreakers;
  budgets: TokenBudgets;
  tools?: ToolExecutor;
  memory?: AgentMemoryPort;
  publisher?: EventPublisher;
  logger?: Logger;
  retry?: RetryPolicy;
  /** Event source name. Default "runtime". */
  source?: string;
  /** Where `chat` and `execute_tool` spans go (children of the request's `trace`). */
  tracer?: Tracer;
}

export interface AgentRunRequest {
  agentId: string;
  runId?: string;
  seed: Seed;
  persona?: string;
  /** Skills the system prompt lists (loaded with `skill_read`). */
  skills?: readonly SkillSummary[];
  /** The user's message; defaults to the seed's goal. */
  input?: string;
  sessionId?: string;
  spaceId?: string;
  signal?: AbortSignal;
  maxSteps?: number;
  timeoutMs?: number;
  temperature?: number;
  maxTokens?: number;
  /** The model's context window in tokens. */
  contextWindow?: number;
  /** Fraction of the window at which the context is compacted. Default 0.8. */
  compactAt?: number;
  /**
   * Called with each streamed piece of text, in order. Setting it makes every step stream; without
   * it (and without an `agent.output` observer on the bus) each model response is read whole.
   */
  onTextDelta?: (delta: string) => void;
  /**
   * Called when each model call starts and ends, streamed or not: a sign of life for a lease.
   * When it aborts `signal` (the lease was revoked) the call is not sent, or its answer not used.
   */
  onModelCall?: () => void;
  /**
   * Called right before each tool call runs, once its `tool-call` step is durable: the lease
   * holder's last word — a call whose hook aborts `signal` does not run.
   */
  beforeToolCall?: () => void;
  /** Where each step is journalled, and the steps of an earlier attempt to continue from. */
  journal?: StepJournal;
  /** The run's span: model and tool call spans are its children, its trace id is on the run's events. */
  trace?: SpanParent;
}

export interface AgentRunResult {
  agentId: string;
  runId: string;
  /** The final answer (the last step's text). */
  text: string;
  /** `max-steps` when the model was still calling tools at the step limit. */
  finishReason: "stop" | "max-steps";
  steps: number;
  usage: TokenUsage;
  toolCalls: ToolCallRecord[];
  compactions: number;
  /** The model that answered the last call, `provider/modelId`. */
  model: string;
}

export class AgentLoop {
  readonly #options: AgentLoopOptions;
  readonly #source: string;

  constructor(options: AgentLoopOptions) {
    this.#options = options;
    this.#source = options.source ?? "runtime";
  }

  get model(): ResolvedModel {
    return this.#options.model;
  }

  /**
   * Runs the tool loop for one request: see the module comment for what it guarantees.
   *
   * Throws: `RUNTIME_MESSAGE_EMPTY` when goal and message are both blank;
   * `RUNTIME_BUDGET_EXCEEDED` before a call the agent's budget cannot pay; the model's
   * `PROVIDER_*` codes (after the breaker, retries and fallbacks); the journal's and memory
   * port's errors. A tool's failure is an outcome the model sees, not a rejection.
   * Abort: `request.signal`, or the run timeout on the Clock, aborts the model's HTTP request
   * and every tool call; the run rejects with `ABORTED` / `TIMED_OUT` once the tools it
   * started have settled. Steps journalled before stay, so the run can be resumed.
   */
  async run(request: AgentRunRequest): Promise<AgentRunResult> {
    if (request.seed.goal.trim().length === 0 && (request.input ?? "").trim().length === 0) {
      throw new KernelError(RuntimeErrorCode.messageEmpty, "an agent run needs a goal or a message; both were empty");
    }
    const { clock } = this.#options;
    const timeout = timeoutSignal(
      clock,
      request.timeoutMs ?? AGENT_DEFAULTS.timeoutMs,
      `agent ${request.agentId} timed out after ${request.timeoutMs ?? AGENT_DEFAULTS.timeoutMs} ms`,
    );
    const signal = anySignal([request.signal, timeout.signal]);
    const steps = new StepWriter(request.journal);
    try {
      const result = await this.#run(request, signal, steps);
      await steps.durable();
      return result;
    } catch (error) {
      // The run fails with its own error; the steps it wrote ahead still settle before it does.
      await steps.settled();
      if (signal.aborted) throw abortError(signal);
      throw error;
    } finally {
      timeout.cancel();
    }
  }

  async #run(request: AgentRunRequest, signal: AbortSignal, steps: StepWriter): Promise<AgentRunResult> {
    const { budgets, tools, memory } = this.#options;
    const journal = request.journal;
    const runId = request.runId ?? newId(this.#options.clock.now());
    const maxSteps = Math.max(1, request.maxSteps ?? AGENT_DEFAULTS.maxSteps);
    const window = request.contextWindow ?? AGENT_DEFAULTS.contextWindow;
    const compactAt = request.compactAt ?? AGENT_DEFAULTS.compactAt;
    const input = request.input?.trim() || request.seed.goal;

    const state = replaySteps(journal?.steps ?? []);
    // A resumed run's earlier usage counts against the agent's budget in this process too.
    if (state.modelSteps > 0 || state.compactions > 0) budgets.record(request.agentId, state.usage);
    if (state.prompt.length === 0) {
      const memories = memory
        ? await memory.recall(input, {
            agentId: request.agentId,
            limit: AGENT_DEFAULTS.recallLimit,
            signal,
            ...(request.sessionId ? { sessionId: request.sessionId } : {}),
            ...(request.spaceId ? { spaceId: request.spaceId } : {}),
          })
        : [];
      throwIfAborted(signal);
      const system = buildSystemPrompt({
        seed: request.seed,
        persona: request.persona,
        memories,
        ...(request.skills === undefined ? {} : { skills: request.skills }),
      });
      steps.writeAhead({ kind: "prompt", system, input });
      state.prompt = openingMessages(system, input);
    }
    const definitions = tools ? await tools.definitions(request.agentId) : [];
    const modelTools = definitions.map(toModelTool);
    const idempotent = new Set(definitions.filter((definition) => definition.idempotent === true).map((d) => d.name));
    const answered = { model: modelSpec(this.#options.model) };
    const finish = (finishReason: AgentRunResult["finishReason"]): AgentRunResult => ({
      agentId: request.agentId,
      runId,
      text: state.lastText,
      finishReason,
      steps: state.modelSteps,
      usage: state.usage,
      toolCalls: state.toolCalls,
      compactions: state.compactions,
      model: answered.model,
    });
    if (state.answered) return finish("stop");
    if (state.open !== undefined) {
      await this.#settleOpenCalls(request, runId, state, state.open, idempotent, signal, steps);
    }
    if (state.modelSteps >= maxSteps) return this.#maxSteps(request, runId, maxSteps, finish);

    for (let step = state.modelSteps + 1; step <= maxSteps; step++) {
      throwIfAborted(signal);
      if (estimateTokens(JSON.stringify(state.prompt)) > window * compactAt && state.prompt.length > 3) {
        await this.#compact(request, runId, state, signal, answered, steps);
      }
      budgets.ensureAvailable(request.agentId);
      request.onModelCall?.();
      throwIfAborted(signal);
      const result = await this.#step(request, runId, state.prompt, modelTools, state.usage, signal, answered);
      request.onModelCall?.();
      throwIfAborted(signal);
      steps.writeAhead({ kind: "model", text: result.text, toolCalls: result.toolCalls, usage: result.usage });
      state.modelSteps = step;
      state.lastText = result.text;
      state.prompt.push(assistantMessage(result.text, result.toolCalls));
      if (result.toolCalls.length === 0) return finish("stop");
      const open: OpenToolCalls = { calls: result.toolCalls, results: new Map(), started: new Set() };
      state.open = open;
      await this.#settleOpenCalls(request, runId, state, open, idempotent, signal, steps);
    }
    return this.#maxSteps(request, runId, maxSteps, finish);
  }

  #maxSteps(
    request: AgentRunRequest,
    runId: string,
    maxSteps: number,
    finish: (reason: AgentRunResult["finishReason"]) => AgentRunResult,
  ): AgentRunResult {
    this.#options.logger?.warn("agent reached max steps while still calling tools", {
      agentId: request.agentId,
      runId,
      maxSteps,
    });
    return finish("max-steps");
  }

  /**
   * One model call through the breaker and retry policy (and the fallbacks): streamed when
   * someone follows the text (`onTextDelta`, or an `agent.output` observer on the bus), else
   * read whole.
   */
  async #step(
    request: AgentRunRequest,
    runId: string,
    prompt: LanguageModelV3Prompt,
    tools: LanguageModelV3FunctionTool[],
    usage: TokenUsage,
    signal: AbortSignal,
    answered: { model: string },
  ): Promise<StepResult> {
    const options = stepCallOptions(prompt, tools, {
      temperature: request.temperature ?? AGENT_DEFAULTS.temperature,
      maxOutputTokens: request.maxTokens ?? AGENT_DEFAULTS.maxTokens,
      signal,
    });
    const publisher = this.#options.publisher;
    // Nobody follows this run's text as it comes: read the whole response instead of a stream.
    const followed = request.onTextDelta !== undefined || publisher?.isObserved?.("agent.output") !== false;
    if (!followed) {
      const whole = await this.#guarded(request, runId, signal, answered, stepOutcome, async ({ model, provider }) => {
        try {
          return await generateStep(model, options);
        } catch (error) {
          throw toProviderError(error, provider, signal);
        }
      });
      this.#account(request.agentId, usage, whole.usage);
      return whole;
    }
    const result = await this.#guarded(request, runId, signal, answered, stepOutcome, async ({ model, provider }) => {
      let emitted = false;
      try {
        return await streamStep(model, options, (delta) => {
          emitted = true;
          request.onTextDelta?.(delta);
          this.#options.publisher?.publish(
            createEvent(
              "agent.output",
              { agentId: request.agentId, runId, text: delta, ...traceOf(request) },
              this.#source,
              this.#options.clock.now(),
            ),
          );
        });
      } catch (error) {
        const failure = toProviderError(error, provider, signal);
        // Text already streamed to the caller cannot be taken back, so never retry (or fall back) then.
        if (emitted && failure.details?.retryable === true) {
          throw new KernelError(failure.code, failure.message, {
            cause: failure,
            details: { ...failure.details, retryable: false },
          });
        }
        throw failure;
      }
    });
    this.#account(request.agentId, usage, result.usage);
    return result;
  }

  /**
   * Runs `attempt` with the model, then each fallback in turn while the call fails in a way
   * another model may not share (an open breaker, a retryable error). Each model has its own
   * breaker; only the last one retries with backoff, so a fallback answers without waiting.
   */
  async #guarded<T>(
    request: AgentRunRequest,
    runId: string,
    signal: AbortSignal,
    answered: { model: string },
    describe: (value: T) => ModelCallOutcome,
    attempt: (model: ResolvedModel) => Promise<T>,
  ): Promise<T> {
    const models = [this.#options.model, ...(this.#options.fallbacks ?? [])];
    for (const [index, model] of models.entries()) {
      const spec = modelSpec(model);
      const next = models[index + 1];
      const retry = next === undefined ? this.#options.retry : { maxRetries: 0 };
      try {
        const traced = () => traceModelCall(this.#options.tracer, request, model, describe, attempt);
        const value = await callProvider(traced, {
          provider: model.provider,
          breaker: this.#options.breakers.for(spec),
          clock: this.#options.clock,
          signal,
          ...(retry === undefined ? {} : { retry }),
          onRetry: (error, count, delayMs) =>
            this.#options.logger?.warn("retrying model call", {
              model: spec,
              code: error.code,
              attempt: count,
              delayMs,
            }),
        });
        answered.model = spec;
        return value;
      } catch (error) {
        const failure = KernelError.from(error, RuntimeErrorCode.providerFailed);
        if (next === undefined || signal.aborted || !canFallBack(failure)) throw failure;
        const to = modelSpec(next);
        this.#options.logger?.warn("model failed; the next fallback model takes the call", {
          agentId: request.agentId,
          from: spec,
          to,
          code: failure.code,
        });
        this.#options.publisher?.publish(
          createEvent(
            "model.failed-over",
            {
              agentId: request.agentId,
              runId,
              from: spec,
              to,
              error: { code: failure.code, message: failure.message },
              ...traceOf(request),
            },
            this.#source,
            this.#options.clock.now(),
          ),
        );
      }
    }
    throw new KernelError(CoreErrorCode.internal, "no model to call");
  }

  #account(agentId: string, total: TokenUsage, step: TokenUsage): void {
    total.inputTokens += step.inputTokens;
    total.outputTokens += step.outputTokens;
    this.#options.budgets.record(agentId, step);
  }

  /**
   * Runs the tool calls of one model turn that have no result yet, in parallel, and adds
   * their results to the transcript in the order the model requested them. A call that
   * started in an earlier attempt (in flight when the process stopped) runs again only when
   * its tool is idempotent or it was still waiting for its approval (`restoredCall`);
   * otherwise its outcome is `TOOL_OUTCOME_UNKNOWN` for the model.
   */
  async #settleOpenCalls(
    request: AgentRunRequest,
    runId: string,
    state: ReplayedRun,
    open: OpenToolCalls,
    idempotent: ReadonlySet<string>,
    signal: AbortSignal,
    steps: StepWriter,
  ): Promise<void> {
    const pending = open.calls.filter((call) => !open.results.has(call.callId));
    const settled = await Promise.allSettled(
      pending.map(async (call) => {
        const record =
          open.started.has(call.callId) &&
          !idempotent.has(call.name) &&
          this.#options.restoredCall?.(call.callId) !== true
            ? unknownOutcome(call)
            : await traceToolCall(this.#options.tracer, request, call, () =>
                this.#runTool(request, runId, call, signal, steps),
              );
        steps.writeAhead({
          kind: "tool-result",
          callId: record.callId,
          name: record.name,
          input: record.input,
          outcome: record.outcome,
        });
        open.results.set(call.callId, record);
      }),
    );
    // Every tool has settled here, so an abort never leaves one running behind the run.
    throwIfAborted(signal);
    for (const entry of settled) if (entry.status === "rejected") throw entry.reason;
    closeTurn(state, open);
  }

  /** One tool call: parsed, journalled as started, executed through the executor. */
  async #runTool(
    request: AgentRunRequest,
    runId: string,
    call: RequestedToolCall,
    signal: AbortSignal,
    steps: StepWriter,
  ): Promise<ToolCallRecord> {
    let input: unknown;
    try {
      input = JSON.parse(call.rawInput || "{}");
    } catch (error) {
      return {
        callId: call.callId,
        name: call.name,
        input: call.rawInput,
        outcome: {
          ok: false,
          errorCode: ToolErrorCode.inputInvalid,
          message: `the arguments for ${call.name} are not valid JSON (${(error as Error).message}); send a JSON object`,
        },
      };
    }
    const executor = this.#options.tools;
    if (executor === undefined) {
      return {
        callId: call.callId,
        name: call.name,
        input,
        outcome: { ok: false, errorCode: ToolErrorCode.notFound, message: `no tool named ${call.name}` },
      };
    }
    // Durable before the call runs: a call journalled as started without a result was in flight at a crash.
    await steps.durable({ kind: "tool-call", callId: call.callId, name: call.name });
    request.beforeToolCall?.();
    throwIfAborted(signal);
    const toolCall: ToolCallRequest = { callId: call.callId, name: call.name, input };
    try {
      const outcome = await executor.execute(toolCall, { agentId: request.agentId, runId, signal });
      return { callId: call.callId, name: call.name, input, outcome };
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      const failure = KernelError.from(error, ToolErrorCode.failed);
      return {
        callId: call.callId,
        name: call.name,
        input,
        outcome: { ok: false, errorCode: failure.code, message: failure.message },
      };
    }
  }

  /**
   * Replaces everything after the first user message with a summary, storing the summary
   * as a memory first and journalling it. Awaited: the next model call sees the compacted
   * context and the memory exists before the loop continues.
   */
  async #compact(
    request: AgentRunRequest,
    runId: string,
    state: ReplayedRun,
    signal: AbortSignal,
    answered: { model: string },
    steps: StepWriter,
  ): Promise<void> {
    const older = state.prompt.slice(2);
    this.#options.budgets.ensureAvailable(request.agentId);
    const response = await this.#guarded(request, runId, signal, answered, generatedOutcome, ({ model }) =>
      Promise.resolve(model.doGenerate(compactionCallOptions(older, signal))),
    );
    const usage = fromUsage(response.usage);
    this.#account(request.agentId, state.usage, usage);
    const text = contentText(response.content) || truncateChars(transcriptText(older), 2_000);
    if (this.#options.memory) {
      await this.#options.memory.store({
        content: text,
        type: "session",
        tags: ["compaction"],
        agentId: request.agentId,
        ...(request.sessionId ? { sessionId: request.sessionId } : {}),
        ...(request.spaceId ? { spaceId: request.spaceId } : {}),
      });
    } else {
      this.#options.logger?.info("compaction summary kept in context only: no memory port configured", {
        agentId: request.agentId,
      });
    }
    throwIfAborted(signal);
    await steps.durable({ kind: "compaction", summary: text, usage });
    compact(state.prompt, text);
    state.compactions++;
  }
}

/** A failure another model may not share: an open breaker, or a retryable provider error. */
function canFallBack(error: KernelError): boolean {
  return error.code === RuntimeErrorCode.providerCircuitOpen || isRetryableProviderError(error);
}

/** The result a call gets when the process stopped while it ran and its tool is not idempotent. */
function unknownOutcome(call: RequestedToolCall): ToolCallRecord {
  return {
    callId: call.callId,
    name: call.name,
    input: requestedInput(call),
    outcome: {
      ok: false,
      errorCode: TOOL_OUTCOME_UNKNOWN,
      message: `the kernel stopped while ${call.name} was running, so whether it took effect is unknown; check before calling it again`,
    },
  };
}

/** What a streamed step's span records: the step result carries it. */
function stepOutcome(step: StepResult): ModelCallOutcome {
  return step;
}

/** The run's trace id for the payload of an event it publishes (nothing when not traced). */
function traceOf(request: AgentRunRequest): { traceId?: string } {
  return request.trace === undefined ? {} : { traceId: request.trace.traceId };
}
