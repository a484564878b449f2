/**
 * The `invoke_agent` span of one agent run, for both kinds of run: a direct run (`DirectRuns`)
 * and each agent run the orchestrator starts for a chat message. The span is opened before the
 * run, its `context` goes to the loop as the run's `trace` (model and tool call spans are its
 * children), and the run's outcome ends it. Attributes are names, ids, models, token counts
 * and error codes only.
 */

import { CoreErrorCode } from "@oxios/core";
import { SchedulerErrorCode } from "@oxios/scheduler";
import { SupervisorErrorCode } from "@oxios/supervisor";
import type { RunRecord } from "./run-record.ts";
import { GenAiAttribute, GenAiSpan, type SpanParent, type Tracer, type TraceSpan } from "./tracing.ts";

/** Error codes that end a run as `cancelled` rather than `failed`. */
const CANCEL_CODES = new Set<string>([
  SupervisorErrorCode.agentKilled,
  CoreErrorCode.aborted,
  SchedulerErrorCode.taskCancelled,
]);

/** How a run that ended without a result ended: `cancelled` for a kill, abort or cancel, else `failed`. */
export function endedStatus(code: string): "cancelled" | "failed" {
  return CANCEL_CODES.has(code) ? "cancelled" : "failed";
}

/** The run a span is about. */
export interface RunSpanSubject {
  agentId: string;
  /** The agent profile; the span is named after it (default `oxios`). */
  agent?: string;
  sessionId?: string;
  /** A direct run's task id. */
  runId?: string;
  /** How often a direct run was resumed. */
  resumes?: number;
  /** The seed an orchestrated run works on, and its generation (0, then 1 per evolution). */
  seedId?: string;
  generation?: number;
}

/** A run's outcome as its span records it (a `RunRecord` is one). */
export type RunSpanOutcome = Pick<RunRecord, "status" | "model" | "usage" | "finishReason" | "error">;

/** The `invoke_agent` span of one run: a new trace, or a child of `parent`. Nothing without a tracer. */
export function startRunSpan(
  tracer: Tracer | undefined,
  run: RunSpanSubject,
  parent?: SpanParent,
): TraceSpan | undefined {
  const name = run.agent ?? "oxios";
  return tracer?.startSpan(`${GenAiSpan.invokeAgent} ${name}`, {
    ...(parent === undefined ? {} : { parent }),
    attributes: {
      [GenAiAttribute.operationName]: GenAiSpan.invokeAgent,
      [GenAiAttribute.agentId]: run.agentId,
      [GenAiAttribute.agentName]: name,
      [GenAiAttribute.conversationId]: run.sessionId,
      "oxios.run.id": run.runId,
      "oxios.run.resumes": run.resumes,
      "oxios.seed.id": run.seedId,
      "oxios.seed.generation": run.generation,
    },
  });
}

/** A finished run's outcome on its span: usage and finish reason, or the error code (status ERROR). */
export function describeRun(span: TraceSpan, outcome: RunSpanOutcome): void {
  span.setAttributes({
    "oxios.run.status": outcome.status,
    [GenAiAttribute.responseModel]: outcome.model,
    [GenAiAttribute.inputTokens]: outcome.usage?.inputTokens,
    [GenAiAttribute.outputTokens]: outcome.usage?.outputTokens,
    [GenAiAttribute.finishReasons]: outcome.finishReason === undefined ? undefined : [outcome.finishReason],
  });
  if (outcome.status === "failed" && outcome.error !== undefined) span.fail(outcome.error.code);
  else if (outcome.status === "cancelled" && outcome.error !== undefined) {
    span.setAttributes({ [GenAiAttribute.errorType]: outcome.error.code });
  }
}
