/**
 * Ports: the narrow interfaces through which the runtime reaches packages it does not own.
 * The composition root passes implementations in — the access gate of `@oxios/tools` is a
 * ToolExecutor, `@oxios/memory` is a AgentMemoryPort — and tests pass small real fakes.
 */

/** A tool as the model sees it: a name, a description and a JSON schema for its input. */
export interface ModelToolDefinition {
  name: string;
  description: string;
  /** JSON Schema (draft 7) of the input object. */
  inputSchema: Record<string, unknown>;
  /**
   * Repeating a call with the same input has no further effect: a durable run that stopped
   * while such a call was in flight runs it again when it resumes. Default false.
   */
  idempotent?: boolean;
}

export interface ToolCallRequest {
  callId: string;
  name: string;
  /** The parsed arguments (the loop rejects unparseable ones before they get here). */
  input: unknown;
}

export interface ToolCallContext {
  agentId: string;
  runId: string;
  /** Aborts when the run is cancelled or times out; a tool must stop promptly. */
  signal: AbortSignal;
}

/** A tool's result. A failure carries a stable code the model sees beside the message. */
export type ToolOutcome =
  | { ok: true; output: string; truncated?: boolean }
  | { ok: false; errorCode: string; message: string };

/** Runs tool calls on behalf of an agent — in the kernel, through the access gate. */
export interface ToolExecutor {
  /** The tools available to `agentId`. */
  definitions(agentId: string): ModelToolDefinition[] | Promise<ModelToolDefinition[]>;
  /** Executes one call; resolves with an outcome (denials and tool errors included). */
  execute(call: ToolCallRequest, context: ToolCallContext): Promise<ToolOutcome>;
}

/** A memory as the runtime uses it: something to put in the system prompt. */
export interface RecalledMemory {
  id: string;
  content: string;
}

export interface MemoryWrite {
  content: string;
  /** Memory type (`session` for compaction summaries). */
  type: string;
  tags: string[];
  agentId: string;
  sessionId?: string;
  spaceId?: string;
}

export interface AgentMemoryPort {
  recall(
    query: string,
    options: { agentId: string; sessionId?: string; spaceId?: string; limit: number; signal?: AbortSignal },
  ): Promise<RecalledMemory[]>;
  /** Resolves once the memory is durably stored. */
  store(memory: MemoryWrite): Promise<{ id: string }>;
}
