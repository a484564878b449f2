/**
 * The loop's ToolExecutor over one `@oxios/tools` session: every call the model makes goes
 * through the access gate (schema, permissions, paths, exec policy, approvals, audit). The
 * session is bound to one agent run and its signal, so an abort reaches every tool.
 */

import { type ToolSession, toolJsonSchema } from "@oxios/tools";
import type { ModelToolDefinition, ToolCallContext, ToolCallRequest, ToolExecutor, ToolOutcome } from "../ports.ts";
import { truncateChars } from "../text.ts";

/** What the executor reports around each call (the orchestrator's stream uses it). */
export type ToolActivity =
  | { type: "tool-call"; agentId: string; callId: string; name: string; input: unknown }
  | { type: "tool-result"; agentId: string; callId: string; name: string; ok: boolean; errorCode?: string };

export interface GatedToolExecutorOptions {
  /** Characters of tool output handed back to the model. Default 20 000. */
  maxOutputChars?: number;
  onActivity?: (activity: ToolActivity) => void;
}

export class GatedToolExecutor implements ToolExecutor {
  readonly #session: ToolSession;
  readonly #options: GatedToolExecutorOptions;

  constructor(session: ToolSession, options: GatedToolExecutorOptions = {}) {
    this.#session = session;
    this.#options = options;
  }

  get session(): ToolSession {
    return this.#session;
  }

  /** The tools the session offers the agent, with their own JSON schemas. */
  definitions(): ModelToolDefinition[] {
    return this.#session.available().map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: toolJsonSchema(tool) as Record<string, unknown>,
      idempotent: tool.idempotent,
    }));
  }

  async execute(call: ToolCallRequest, context: ToolCallContext): Promise<ToolOutcome> {
    this.#options.onActivity?.({
      type: "tool-call",
      agentId: context.agentId,
      callId: call.callId,
      name: call.name,
      input: call.input,
    });
    const result = await this.#session.execute(call.name, call.input, { signal: context.signal, callId: call.callId });
    const outcome: ToolOutcome = result.ok
      ? toOutput(result.output, result.truncated, this.#options.maxOutputChars ?? 20_000)
      : { ok: false, errorCode: result.error.code, message: result.error.message };
    this.#options.onActivity?.({
      type: "tool-result",
      agentId: context.agentId,
      callId: call.callId,
      name: call.name,
      ok: outcome.ok,
      ...(outcome.ok ? {} : { errorCode: outcome.errorCode }),
    });
    return outcome;
  }
}

function toOutput(output: unknown, truncated: boolean, maxChars: number): ToolOutcome {
  const text = typeof output === "string" ? output : (JSON.stringify(output) ?? "");
  const cut = truncateChars(text, maxChars);
  return { ok: true, output: cut, truncated: truncated || cut !== text };
}
