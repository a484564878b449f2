/**
 * The tracing port: how the runtime reports a run as spans without depending on a tracing
 * SDK. The kernel implements it with OpenTelemetry (an OTLP exporter); without a tracer the
 * runtime makes no span and costs nothing.
 *
 * Spans follow OpenTelemetry's generative-AI semantic conventions: one `invoke_agent` span per
 * run, a `chat` child per model call and an `execute_tool` child per tool call. Parents are
 * passed explicitly (no ambient context), so several kernels in one process never mix traces.
 *
 * Attributes carry names, ids, models, token counts and error codes only — never a prompt,
 * a model's text, a tool's input or output, or a secret.
 */

/** Where a span sits: its trace and its own id (W3C trace context, lowercase hex). */
export interface SpanParent {
  /** 32 hex digits. */
  traceId: string;
  /** 16 hex digits. */
  spanId: string;
}

export type SpanAttributeValue = string | number | boolean | readonly string[];
export type SpanAttributes = Readonly<Record<string, SpanAttributeValue | undefined>>;

/** One span in progress. Every method is synchronous and never throws. */
export interface TraceSpan {
  readonly context: SpanParent;
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed (status ERROR) with the KernelError code as `error.type`. */
  fail(code: string): void;
  /** Ends the span; later calls do nothing. */
  end(): void;
}

export interface StartSpanOptions {
  /** The parent span: a child is in its trace. Without one the span starts a new trace. */
  parent?: SpanParent;
  /** `client` for a call leaving the process (a model call), else `internal`. */
  kind?: "internal" | "client";
  attributes?: SpanAttributes;
}

/** Starts spans. Implementations must not block: spans are exported in the background. */
export interface Tracer {
  startSpan(name: string, options?: StartSpanOptions): TraceSpan;
}

/** Span names and `gen_ai.*` attribute names of the semantic conventions the runtime uses. */
export const GenAiSpan = {
  invokeAgent: "invoke_agent",
  chat: "chat",
  executeTool: "execute_tool",
} as const;

export const GenAiAttribute = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  /** The older name of `gen_ai.provider.name`; still read by many backends. */
  system: "gen_ai.system",
  agentId: "gen_ai.agent.id",
  agentName: "gen_ai.agent.name",
  conversationId: "gen_ai.conversation.id",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  finishReasons: "gen_ai.response.finish_reasons",
  toolName: "gen_ai.tool.name",
  toolCallId: "gen_ai.tool.call.id",
  errorType: "error.type",
} as const;
