/**
 * A ToolExecutor over plain functions, for tests: each tool gets the parsed input and the
 * call's AbortSignal, and the executor records every call and every abort it observed.
 */

import { abortError } from "@oxios/core";
import { ToolErrorCode } from "@oxios/tools";
import type { ModelToolDefinition, ToolCallContext, ToolCallRequest, ToolExecutor, ToolOutcome } from "../ports.ts";

export interface ScriptedTool {
  description?: string;
  inputSchema?: Record<string, unknown>;
  /** Declared to the loop as idempotent (run again when in flight at a crash). */
  idempotent?: boolean;
  run(input: unknown, signal: AbortSignal): string | Promise<string>;
}

export class ScriptedToolExecutor implements ToolExecutor {
  readonly #tools: Record<string, ScriptedTool>;
  readonly calls: ToolCallRequest[] = [];
  /** Calls whose signal aborted while they ran. */
  readonly aborted: ToolCallRequest[] = [];
  #running = 0;
  #maxRunning = 0;

  constructor(tools: Record<string, ScriptedTool>) {
    this.#tools = tools;
  }

  get maxConcurrent(): number {
    return this.#maxRunning;
  }

  definitions(): ModelToolDefinition[] {
    return Object.entries(this.#tools).map(([name, tool]) => ({
      name,
      description: tool.description ?? name,
      inputSchema: tool.inputSchema ?? { type: "object", properties: {}, additionalProperties: true },
      ...(tool.idempotent === undefined ? {} : { idempotent: tool.idempotent }),
    }));
  }

  async execute(call: ToolCallRequest, context: ToolCallContext): Promise<ToolOutcome> {
    this.calls.push(call);
    const tool = this.#tools[call.name];
    if (tool === undefined)
      return { ok: false, errorCode: ToolErrorCode.notFound, message: `no tool named ${call.name}` };
    const onAbort = (): void => {
      this.aborted.push(call);
    };
    context.signal.addEventListener("abort", onAbort, { once: true });
    this.#running++;
    this.#maxRunning = Math.max(this.#maxRunning, this.#running);
    try {
      if (context.signal.aborted) throw abortError(context.signal);
      return { ok: true, output: await tool.run(call.input, context.signal) };
    } finally {
      this.#running--;
      context.signal.removeEventListener("abort", onAbort);
    }
  }
}
