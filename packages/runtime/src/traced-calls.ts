/**
 * The spans of the agent loop's calls: a `chat` span per model call attempt and an
 * `execute_tool` span per tool call, children of the run's span. Without a tracer the call
 * runs as it is. Attributes are names, ids, models, token counts and error codes only.
 */

import { KernelError } from "@oxios/core";
import { ToolErrorCode } from "@oxios/tools";
import { RuntimeErrorCode } from "./error-codes.ts";
import type { ResolvedModel } from "./providers/resolve-model.ts";
import type { RequestedToolCall } from "./run-journal.ts";
import type { TokenUsage } from "./token-budgets.ts";
import { GenAiAttribute, GenAiSpan, type SpanParent, type Tracer } from "./tracing.ts";
import type { ToolCallRecord } from "./transcript.ts";

/** What a model call's span records of its response. */
export interface ModelCallOutcome {
  usage: TokenUsage;
  finishReason?: string;
  responseModel?: string;
}

/** The run a call belongs to. */
export interface TracedRun {
  agentId: string;
  /** The run's span; without it the call's span starts a trace of its own. */
  trace?: SpanParent;
}

/** One attempt at a model call, in a `chat` span; a failure marks it with the call's code. */
export async function traceModelCall<T>(
  tracer: Tracer | undefined,
  run: TracedRun,
  model: ResolvedModel,
  describe: (value: T) => ModelCallOutcome,
  call: (model: ResolvedModel) => Promise<T>,
): Promise<T> {
  if (tracer === undefined) return call(model);
  const span = tracer.startSpan(`${GenAiSpan.chat} ${model.modelId}`, {
    kind: "client",
    ...(run.trace === undefined ? {} : { parent: run.trace }),
    attributes: {
      [GenAiAttribute.operationName]: GenAiSpan.chat,
      [GenAiAttribute.providerName]: model.provider,
      [GenAiAttribute.system]: model.provider,
      [GenAiAttribute.requestModel]: model.modelId,
      [GenAiAttribute.agentId]: run.agentId,
    },
  });
  try {
    const value = await call(model);
    const outcome = describe(value);
    span.setAttributes({
      [GenAiAttribute.inputTokens]: outcome.usage.inputTokens,
      [GenAiAttribute.outputTokens]: outcome.usage.outputTokens,
      [GenAiAttribute.responseModel]: outcome.responseModel,
      [GenAiAttribute.finishReasons]: outcome.finishReason === undefined ? undefined : [outcome.finishReason],
    });
    return value;
  } catch (error) {
    span.fail(KernelError.from(error, RuntimeErrorCode.providerFailed).code);
    throw error;
  } finally {
    span.end();
  }
}

/** One tool call in an `execute_tool` span; a failed or refused call marks it with its code. */
export async function traceToolCall(
  tracer: Tracer | undefined,
  run: TracedRun,
  call: RequestedToolCall,
  execute: () => Promise<ToolCallRecord>,
): Promise<ToolCallRecord> {
  if (tracer === undefined) return execute();
  const span = tracer.startSpan(`${GenAiSpan.executeTool} ${call.name}`, {
    ...(run.trace === undefined ? {} : { parent: run.trace }),
    attributes: {
      [GenAiAttribute.operationName]: GenAiSpan.executeTool,
      [GenAiAttribute.toolName]: call.name,
      [GenAiAttribute.toolCallId]: call.callId,
      [GenAiAttribute.agentId]: run.agentId,
    },
  });
  try {
    const record = await execute();
    if (!record.outcome.ok) span.fail(record.outcome.errorCode);
    return record;
  } catch (error) {
    span.fail(KernelError.from(error, ToolErrorCode.failed).code);
    throw error;
  } finally {
    span.end();
  }
}
