/**
 * The tool contract. `defineTool` checks a definition and returns an opaque `Tool`: its
 * `execute` is kept in a module-private table that only the access gate reads, so the only
 * way to run a tool is through a gated session from a `ToolRegistry` — nothing bypasses the
 * gate.
 */

import type { Clock, Logger } from "@oxios/core";
import { KernelError } from "@oxios/core";
import type { z } from "zod";
import { ToolErrorCode } from "./error-codes.ts";
import type { PathAccess } from "./path-guard.ts";
import type { AgentIdentity, EffectivePermissions, ToolFamily } from "./permissions.ts";
import type { AuditSink, ToolPorts } from "./ports.ts";

/** Tool names every major LLM provider accepts. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** What exec asks the gate to check against the agent's exec policy. */
export type ExecRequest =
  | { mode: "structured"; binary: string; args: readonly string[] }
  | { mode: "shell"; command: string };

/** What one call needs, beyond the tool's own family; the gate checks each part. */
export interface AccessRequest {
  /** Overrides the tool's family for this call (e.g. `kernel_agents` kill needs `kernel.control`). */
  family?: ToolFamily;
  paths?: ReadonlyArray<{ path: string; access: PathAccess }>;
  network?: boolean;
  /** Why this call is dangerous; present means it needs an approval. */
  dangerous?: string;
  exec?: ExecRequest;
}

/** Path checks bound to the calling agent; every file a tool touches goes through here. */
export interface CallPaths {
  /** The real path for `path`, or `TOOL_PATH_DENIED`. */
  resolve(path: string, access: PathAccess): Promise<string>;
  /** Why a real path (met while walking a tree) is refused, or undefined. */
  refusal(realPath: string): string | undefined;
  /** A path for output: workspace-relative when inside the workspace. */
  display(realPath: string): string;
}

/** What a running tool receives. */
export interface ToolContext {
  /** Aborts on kill, timeout or cancel; every tool must stop promptly when it fires. */
  signal: AbortSignal;
  callId: string;
  agent: AgentIdentity;
  permissions: EffectivePermissions;
  /** The agent's workspace, as a real path. */
  workspaceDir: string;
  paths: CallPaths;
  audit: AuditSink;
  ports: ToolPorts;
  clock: Clock;
  logger: Logger;
}

/** What a tool's `execute` returns: the output and whether it was cut short. */
export interface ToolReturn<O> {
  output: O;
  truncated?: boolean;
}

export interface ToolDefinition<S extends z.ZodType, O> {
  name: string;
  /** Shown to the model as is. */
  description: string;
  input: S;
  family: ToolFamily;
  /** What a particular call needs (paths, approval, exec policy); default nothing more. */
  access?: (input: z.output<S>) => AccessRequest;
  /**
   * The JSON Schema shown to models instead of one derived from `input`, for tools whose
   * schema was JSON Schema to begin with (MCP tools): the model sees the server's own schema.
   */
  jsonSchema?: Record<string, unknown>;
  /**
   * Calling the tool again with the same input has no further effect (reads; a write of a
   * whole file). A durable run that crashed while such a call was in flight runs it again on
   * resume; any other call's outcome is reported to the model as unknown instead. Default false.
   */
  idempotent?: boolean;
  execute(input: z.output<S>, context: ToolContext): Promise<ToolReturn<O>>;
}

/** A defined tool. Opaque: it cannot be executed except through a gated session. */
export interface Tool<I = unknown, O = unknown> {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType<I>;
  readonly family: ToolFamily;
  /** The JSON Schema shown to models, when it is not derived from `input`. */
  readonly jsonSchema?: Readonly<Record<string, unknown>>;
  /** Whether a repeated call with the same input has no further effect (see `ToolDefinition.idempotent`). */
  readonly idempotent: boolean;
  access(input: I): AccessRequest;
  /** Phantom marker carrying the output type. */
  readonly __output?: O;
}

// biome-ignore lint/suspicious/noExplicitAny: a table of tools of every input and output type
export type AnyTool = Tool<any, any>;

type Executor = (input: unknown, context: ToolContext) => Promise<ToolReturn<unknown>>;
const executors = new WeakMap<object, Executor>();

export type ToolResult<O = unknown> =
  | { ok: true; output: O; truncated: boolean; durationMs: number }
  | {
      ok: false;
      error: { code: string; message: string; details?: Record<string, unknown> };
      durationMs: number;
    };

export function defineTool<S extends z.ZodType, O>(definition: ToolDefinition<S, O>): Tool<z.output<S>, O> {
  if (!TOOL_NAME_PATTERN.test(definition.name)) {
    throw new KernelError(
      ToolErrorCode.definitionInvalid,
      `tool name ${JSON.stringify(definition.name)} must match ${TOOL_NAME_PATTERN.source}`,
    );
  }
  if (definition.description.trim() === "") {
    throw new KernelError(ToolErrorCode.definitionInvalid, `tool ${definition.name} needs a description`);
  }
  const access = definition.access ?? (() => ({}));
  const tool: Tool<z.output<S>, O> = Object.freeze({
    name: definition.name,
    description: definition.description,
    input: definition.input as unknown as z.ZodType<z.output<S>>,
    family: definition.family,
    ...(definition.jsonSchema === undefined ? {} : { jsonSchema: definition.jsonSchema }),
    idempotent: definition.idempotent === true,
    access,
  });
  executors.set(tool, definition.execute as Executor);
  return tool;
}

/** The executor of a defined tool. Internal: used by the gate only, not exported from the package. */
export function executorOf(tool: AnyTool): Executor {
  const executor = executors.get(tool);
  if (executor === undefined) {
    throw new KernelError(ToolErrorCode.definitionInvalid, `${tool.name} was not created by defineTool`);
  }
  return executor;
}
