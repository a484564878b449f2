/**
 * The loop's ToolExecutor over one `@oxios/tools` session: every call the model makes goes
 * through the access gate (schema, permissions, paths, exec policy, approvals, audit). The
 * session is bound to one agent run and its signal, so an abort reaches every tool.
 *
 * `GatedToolExecutor.lazy` opens the session at the first tool call instead of before the run:
 * the model is told the tools the registry offers the agent (`ToolRegistry.offered`, the same
 * list the session would give), and a run whose model calls no tool never creates its
 * workspace on disk.
 */

import type { AnyTool, ToolSession } from "@oxios/tools";
import { toolJsonSchema } from "@oxios/tools";
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
  readonly #offered: readonly AnyTool[];
  readonly #open: () => Promise<ToolSession>;
  #session: ToolSession | undefined;
  #opening: Promise<ToolSession> | undefined;
  readonly #options: GatedToolExecutorOptions;

  /**
   * Over `session`, or — given `{offered, open}` — over a session opened at the first tool call
   * (see `GatedToolExecutor.lazy`).
   */
  constructor(
    session: ToolSession | { offered: readonly AnyTool[]; open: () => Promise<ToolSession> },
    options: GatedToolExecutorOptions = {},
  ) {
    if ("open" in session) {
      this.#offered = session.offered;
      this.#open = session.open;
    } else {
      this.#session = session;
      this.#offered = session.available();
      this.#open = () => Promise.resolve(session);
    }
    this.#options = options;
  }

  /**
   * An executor that offers `offered` (from `ToolRegistry.offered` for the run's agent) and
   * calls `open` — once — when the model first calls a tool. A session that cannot be opened
   * (its workspace cannot be created: `TOOL_FS_*`) fails that call, and every later one, with
   * its code; the model sees it as the tool's error.
   */
  static lazy(
    offered: readonly AnyTool[],
    open: () => Promise<ToolSession>,
    options: GatedToolExecutorOptions = {},
  ): GatedToolExecutor {
    return new GatedToolExecutor({ offered, open }, options);
  }

  /** The session, once opened (a lazy executor's stays undefined until the first tool call). */
  get session(): ToolSession | undefined {
    return this.#session;
  }

  /** The tools offered to the agent, with their own JSON schemas. */
  definitions(): ModelToolDefinition[] {
    return this.#offered.map((tool) => ({
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
    const session = this.#session ?? (await this.#opened());
    const result = await session.execute(call.name, call.input, { signal: context.signal, callId: call.callId });
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

  /** Opens the session once; parallel first calls share the opening. */
  #opened(): Promise<ToolSession> {
    this.#opening ??= this.#open().then((session) => {
      this.#session = session;
      return session;
    });
    return this.#opening;
  }
}

function toOutput(output: unknown, truncated: boolean, maxChars: number): ToolOutcome {
  const text = typeof output === "string" ? output : (JSON.stringify(output) ?? "");
  const cut = truncateChars(text, maxChars);
  return { ok: true, output: cut, truncated: truncated || cut !== text };
}
