/**
 * ToolRegistry: holds tool definitions and hands out gated sessions — the only way to run a
 * tool. A session binds one agent (identity, resolved permissions, workspace) to the gate;
 * `toAiTools()` converts the tools the agent may use into the Vercel AI SDK's tool set with
 * each tool's own description and JSON schema. Schema failures come back to the model as
 * `TOOL_INPUT_INVALID` results, never as exceptions out of the loop.
 */

import {
  anySignal,
  type Clock,
  createConsoleLogger,
  KernelError,
  type Logger,
  newId,
  type Redactor,
  systemClock,
} from "@oxios/core";
import type { EventPublisher } from "@oxios/event-bus";
import { jsonSchema, type ToolSet, tool as toAiTool } from "ai";
import { z } from "zod";
import { ApprovalBroker, type ApprovalDefault, type ApprovalStore } from "./approvals.ts";
import { ToolErrorCode } from "./error-codes.ts";
import { AccessGate, type GateSession } from "./gate.ts";
import { PathGuard, realGlobs, workspaceGlobs } from "./path-guard.ts";
import {
  type AgentIdentity,
  CAPABILITY_TEMPLATES,
  type CapabilityTemplate,
  type EffectivePermissions,
  effectivePermissions,
  type ToolFamily,
} from "./permissions.ts";
import type { AuditSink, ToolPorts } from "./ports.ts";
import type { AnyTool, ToolResult } from "./tool.ts";
import { Workspace, WorkspaceParents } from "./workspace.ts";

export interface ToolRegistryOptions {
  /** Where every gate decision is recorded. */
  audit: AuditSink;
  /** Where tool.* and approval.* events go. */
  publisher: EventPublisher;
  clock?: Clock;
  logger?: Logger;
  ports?: ToolPorts;
  /** Shared broker for pending approvals; one is created when absent (over `approvalStore`). */
  approvals?: ApprovalBroker;
  /** Where the created broker keeps approval records; default in memory. */
  approvalStore?: ApprovalStore;
  /** How long a call waits for an approval before the default decision applies. Default 5 minutes. */
  approvalTimeoutMs?: number;
  /** What nobody answering in time means. Default `reject`: the call is denied. */
  approvalDefault?: ApprovalDefault;
  /** Replaces the families a template grants (keep worker ⊂ standard ⊂ operator ⊂ supervisor). */
  templates?: Readonly<Record<CapabilityTemplate, readonly ToolFamily[]>>;
  /** Event source name. Default `tools`. */
  source?: string;
  /** Replaces known secrets in every tool result and audit record before anyone sees them. */
  redactor?: Redactor;
  /**
   * The owner of every agent workspace (see `Sandbox.workspaceOwner`): a new workspace is
   * created owned by it, before any tool writes in it. Default: the kernel's user.
   */
  workspaceOwner?: { uid: number; gid: number };
}

/**
 * The tool registry. Each public method's comment says how it fails ("Throws:") and what a
 * cancellation does to it ("Abort:"); `names` throws nothing and takes no signal.
 */
export class ToolRegistry {
  readonly approvals: ApprovalBroker;
  readonly #tools = new Map<string, AnyTool>();
  readonly #gate: AccessGate;
  readonly #templates: Readonly<Record<CapabilityTemplate, readonly ToolFamily[]>>;
  readonly #logger: Logger;
  readonly #workspaceOwner: { uid: number; gid: number } | undefined;
  readonly #workspaceParents = new WorkspaceParents();

  constructor(options: ToolRegistryOptions) {
    this.#workspaceOwner = options.workspaceOwner;
    const clock = options.clock ?? systemClock;
    const source = options.source ?? "tools";
    this.#logger = options.logger ?? createConsoleLogger({ level: "warn" });
    this.approvals =
      options.approvals ??
      new ApprovalBroker({
        clock,
        publisher: options.publisher,
        logger: this.#logger,
        source: `${source}.gate`,
        ...(options.approvalStore === undefined ? {} : { store: options.approvalStore }),
      });
    this.#templates = options.templates ?? CAPABILITY_TEMPLATES;
    this.#gate = new AccessGate({
      audit: options.audit,
      publisher: options.publisher,
      approvals: this.approvals,
      clock,
      logger: this.#logger,
      ports: options.ports ?? {},
      approvalTimeoutMs: options.approvalTimeoutMs ?? 5 * 60_000,
      ...(options.approvalDefault === undefined ? {} : { approvalDefault: options.approvalDefault }),
      source,
      ...(options.redactor === undefined ? {} : { redactor: options.redactor }),
    });
  }

  /**
   * Adds tools.
   *
   * Throws: `TOOL_DUPLICATE` for a second tool with a taken name (none of the tools after it
   * are added). Abort: takes no signal (synchronous).
   */
  register(...tools: AnyTool[]): this {
    for (const tool of tools) {
      if (this.#tools.has(tool.name)) {
        throw new KernelError(ToolErrorCode.duplicate, `a tool named ${tool.name} is already registered`);
      }
      this.#tools.set(tool.name, tool);
    }
    return this;
  }

  names(): string[] {
    return [...this.#tools.keys()];
  }

  /**
   * The tools a session for `agent` offers (what its `available()` returns), decided from the
   * agent's template and tool lists alone: nothing is created on disk, so a run can tell the
   * model its tools before — or without ever — opening a session.
   *
   * Throws: nothing. Abort: takes no signal (synchronous).
   */
  offered(agent: AgentIdentity): AnyTool[] {
    // Offering a tool depends on its family and the tool lists only, never on paths.
    const permissions = effectivePermissions(agent, { allow: [], deny: [] }, this.#templates);
    return [...this.#tools.values()].filter((tool) => this.#gate.offers(tool, permissions));
  }

  /**
   * A gated session for one agent. Resolves its workspace and path globs through symlinks; the
   * workspace directory itself is made by the first call that reaches the filesystem (one that
   * names paths or runs a program), so a run that never does leaves nothing on disk.
   *
   * Throws: `TOOL_FILE_TYPE_INVALID`, `TOOL_FS_PERMISSION` or `TOOL_FS_FAILED` when the
   * workspace cannot be resolved, or an existing one not given to its owner.
   * Abort: `options.signal` (the agent run's) is the session's: once it aborts, every call of
   * the session settles `ABORTED`. Creating the session itself is not cancelled by it.
   */
  async session(agent: AgentIdentity, options: { signal?: AbortSignal } = {}): Promise<ToolSession> {
    const workspace = await Workspace.open(agent.workspaceDir, this.#workspaceOwner, this.#workspaceParents);
    const allow = [
      ...workspaceGlobs(workspace.path),
      ...(await realGlobs(agent.permissions?.paths?.allow ?? [], workspace.path)),
    ];
    const deny = await realGlobs(agent.permissions?.paths?.deny ?? [], workspace.path);
    const permissions = effectivePermissions(agent, { allow, deny }, this.#templates);
    const guard = new PathGuard(workspace.path, allow, deny);
    return new ToolSession(
      this.#gate,
      new Map(this.#tools),
      { agent, permissions, guard, workspace },
      options.signal,
      this.#logger,
    );
  }
}

export class ToolSession {
  readonly agent: AgentIdentity;
  readonly permissions: EffectivePermissions;
  /** The agent's workspace as a real path (made by the first call that reaches the filesystem). */
  readonly workspaceDir: string;
  readonly #gate: AccessGate;
  readonly #tools: ReadonlyMap<string, AnyTool>;
  readonly #state: ConstructorParameters<typeof ToolSession>[2];
  readonly #signal: AbortSignal | undefined;
  readonly #logger: Logger;

  constructor(
    gate: AccessGate,
    tools: ReadonlyMap<string, AnyTool>,
    state: GateSession,
    signal: AbortSignal | undefined,
    logger: Logger,
  ) {
    this.#gate = gate;
    this.#tools = tools;
    this.#state = state;
    this.#signal = signal;
    this.#logger = logger;
    this.agent = state.agent;
    this.permissions = state.permissions;
    this.workspaceDir = state.guard.workspace;
  }

  /** Tools the agent's template and tool lists offer it (the gate still checks every call). */
  available(): AnyTool[] {
    return [...this.#tools.values()].filter((tool) => this.#gate.offers(tool, this.permissions));
  }

  /**
   * Runs one call through the gate. Never throws: failures are `{ok: false, error}` results.
   *
   * Throws: nothing; `error.code` is `TOOL_NOT_FOUND` for an unknown name, the gate's refusal
   * (`TOOL_INPUT_INVALID`, `TOOL_DENIED`, `TOOL_NETWORK_DENIED`, `TOOL_PATH_DENIED`,
   * `TOOL_EXEC_DENIED`, `TOOL_APPROVAL_DENIED`, `TOOL_AUDIT_FAILED`), the tool's own KernelError
   * code, or `TOOL_FAILED` for anything else.
   * Abort: the session's signal or `options.signal` settles the call `ABORTED` at once; the
   * tool sees the same signal and must stop.
   */
  execute(name: string, input: unknown, options: { signal?: AbortSignal; callId?: string } = {}): Promise<ToolResult> {
    const tool = this.#tools.get(name);
    if (tool === undefined) {
      return Promise.resolve({
        ok: false,
        error: { code: ToolErrorCode.notFound, message: `no tool named ${name}` },
        durationMs: 0,
      });
    }
    const signal = anySignal([this.#signal, options.signal]) ?? new AbortController().signal;
    return this.#gate.run(tool, input, this.#state, { signal, callId: options.callId ?? newId() });
  }

  /** The offered tools in the Vercel AI SDK's format; each `execute` goes through the gate. */
  toAiTools(): ToolSet {
    const set: ToolSet = {};
    for (const tool of this.available()) {
      set[tool.name] = toAiTool<unknown, ToolResult>({
        description: tool.description,
        inputSchema: jsonSchema(toolJsonSchema(tool)),
        execute: (input, options) => {
          this.#logger.debug("model called a tool", { tool: tool.name, callId: options.toolCallId });
          return this.execute(tool.name, input, { signal: options.abortSignal, callId: options.toolCallId });
        },
      });
    }
    return set;
  }
}

type ToolJsonSchema = Parameters<typeof jsonSchema>[0] & object;

/** A tool's schema never changes; converting it is costly and happened once per run per tool. */
const jsonSchemas = new WeakMap<AnyTool, ToolJsonSchema>();

/**
 * A tool's input schema as JSON Schema (the input side: defaulted fields are optional),
 * computed once per tool and shared: treat it as read-only.
 */
export function toolJsonSchema(tool: AnyTool): ToolJsonSchema {
  const cached = jsonSchemas.get(tool);
  if (cached !== undefined) return cached;
  let schema: Record<string, unknown>;
  if (tool.jsonSchema !== undefined) {
    const { $schema: _dialect, ...rest } = tool.jsonSchema;
    schema = rest;
  } else {
    schema = z.toJSONSchema(tool.input, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    delete schema.$schema;
  }
  jsonSchemas.set(tool, schema as ToolJsonSchema);
  return schema as ToolJsonSchema;
}
