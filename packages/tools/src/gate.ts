/**
 * The access gate. Every call of every tool passes here, in this order:
 *
 * 1. input against the tool's schema (`TOOL_INPUT_INVALID`, returned to the model);
 * 2. per-agent tool lists, then the family against the capability template in force after the
 *    role ceiling (`TOOL_DENIED`);
 * 3. network (`TOOL_NETWORK_DENIED`);
 * 4. every path, resolved through symlinks and matched against the allowed and denied globs
 *    (`TOOL_PATH_DENIED`);
 * 5. the exec policy (`TOOL_EXEC_DENIED`);
 * 6. approval for dangerous calls (`TOOL_APPROVAL_DENIED` when rejected or timed out).
 *
 * Each decision, allow or deny, is appended to the AuditSink with its reason before anything
 * runs; if the audit trail cannot record it, the call does not run (`TOOL_AUDIT_FAILED`).
 * An allowed call that names paths or runs a program has the agent's workspace made first
 * (once per session; see `workspace.ts`).
 * Allowed calls publish tool.started then tool.completed / tool.failed; refusals tool.denied.
 * A call settles `ABORTED` as soon as its signal aborts.
 *
 * Every result leaves the gate through the Redactor: known secrets in a tool's output, error
 * message or details (and in the audit details) are replaced before the caller — the agent
 * loop, and through it the model, run records and memory — sees them.
 */

import { abortError, type Clock, KernelError, type Logger, newId, noRedaction, type Redactor } from "@oxios/core";
import { createEvent, type EventPublisher } from "@oxios/event-bus";
import { z } from "zod";
import type { ApprovalBroker, ApprovalDefault } from "./approvals.ts";
import { ToolErrorCode } from "./error-codes.ts";
import { execRefusal } from "./exec/exec-policy.ts";
import type { PathAccess, PathGuard } from "./path-guard.ts";
import { type AgentIdentity, type EffectivePermissions, type ToolFamily, toolNameMatches } from "./permissions.ts";
import type { AuditSink, ToolPorts } from "./ports.ts";
import { raceAbort } from "./race-abort.ts";
import {
  type AccessRequest,
  type AnyTool,
  type CallPaths,
  executorOf,
  type ToolContext,
  type ToolResult,
} from "./tool.ts";
import type { Workspace } from "./workspace.ts";

/** One agent as the gate holds it for a session. */
export interface GateSession {
  agent: AgentIdentity;
  permissions: EffectivePermissions;
  guard: PathGuard;
  /** Made before the first allowed call that names paths or runs a program. */
  workspace: Workspace;
}

export interface AccessGateOptions {
  audit: AuditSink;
  publisher: EventPublisher;
  approvals: ApprovalBroker;
  clock: Clock;
  logger: Logger;
  ports: ToolPorts;
  /** How long a call waits for an approval before the default decision applies. */
  approvalTimeoutMs: number;
  /** What nobody answering in time means; default `reject`. */
  approvalDefault?: ApprovalDefault;
  source: string;
  /** Applied to every result and audit record; default `noRedaction`. */
  redactor?: Redactor;
}

interface Decision {
  allowed: boolean;
  code?: string;
  reason: string;
  family: ToolFamily;
  approvalId?: string;
  abortedWhileWaiting?: boolean;
  request: AccessRequest;
  resolved: Map<string, string>;
}

const pathKey = (access: PathAccess, path: string): string => `${access}\0${path}`;

export class AccessGate {
  readonly #options: AccessGateOptions;

  constructor(options: AccessGateOptions) {
    this.#options = options;
  }

  /** Whether a tool's family and the agent's tool lists let it be offered to the agent at all. */
  offers(tool: AnyTool, permissions: EffectivePermissions): boolean {
    return this.#toolRefusal(tool.name, tool.family, permissions) === undefined;
  }

  /** Runs one call through the gate; never throws — every outcome is a ToolResult. */
  async run(
    tool: AnyTool,
    rawInput: unknown,
    session: GateSession,
    call: { signal: AbortSignal; callId?: string },
  ): Promise<ToolResult> {
    const { clock, publisher, source } = this.#options;
    const redactor = this.#options.redactor ?? noRedaction;
    const callId = call.callId ?? newId(clock.now());
    const started = clock.now();
    const base = {
      callId,
      tool: tool.name,
      agentId: session.agent.agentId,
      ...(session.agent.traceId === undefined ? {} : { traceId: session.agent.traceId }),
    };
    const logger = this.#options.logger.child(base);
    const fail = (error: KernelError) => ({
      ok: false as const,
      error: redactor.redactValue(error.toJSON()),
      durationMs: clock.now() - started,
    });
    const failed = (error: KernelError): ToolResult => {
      const result = fail(error);
      const { code, message } = result.error;
      publisher.publish(
        createEvent(
          "tool.failed",
          { ...base, durationMs: result.durationMs, error: { code, message } },
          source,
          clock.now(),
        ),
      );
      return result;
    };

    if (call.signal.aborted) return fail(abortError(call.signal));
    const parsed = tool.input.safeParse(rawInput);
    if (!parsed.success) {
      return failed(
        new KernelError(
          ToolErrorCode.inputInvalid,
          `invalid input for ${tool.name}: ${z.prettifyError(parsed.error)}`,
          {
            details: {
              issues: parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
            },
          },
        ),
      );
    }

    let decision: Decision;
    try {
      decision = await this.#decide(tool, parsed.data, session, callId, call.signal, redactor);
    } catch (error) {
      const kernelError = KernelError.from(error, ToolErrorCode.denied);
      logger.warn("the gate could not evaluate the call; denying it", { error });
      decision = {
        allowed: false,
        code: kernelError.code,
        reason: `gate could not evaluate the call: ${kernelError.message}`,
        family: tool.family,
        request: {},
        resolved: new Map(),
      };
    }
    try {
      await this.#options.audit.append({
        actor: session.agent.agentId,
        action: decision.allowed ? "tool.allowed" : "tool.denied",
        resource: tool.name,
        details: redactor.redactValue(this.#auditDetails(session, callId, decision)),
      });
    } catch (error) {
      logger.error("audit trail refused the gate decision; the call does not run", { error });
      return failed(
        new KernelError(ToolErrorCode.auditFailed, "the audit trail could not record the decision", { cause: error }),
      );
    }
    if (decision.abortedWhileWaiting || call.signal.aborted) return fail(abortError(call.signal));
    if (!decision.allowed) {
      publisher.publish(
        createEvent("tool.denied", { ...base, reason: redactor.redact(decision.reason) }, source, clock.now()),
      );
      return fail(new KernelError(decision.code ?? ToolErrorCode.denied, decision.reason));
    }

    if ((decision.request.paths?.length ?? 0) > 0 || decision.request.exec !== undefined) {
      try {
        await session.workspace.ready();
      } catch (error) {
        return failed(KernelError.from(error, ToolErrorCode.fsFailed));
      }
    }
    publisher.publish(createEvent("tool.started", base, source, clock.now()));
    const context: ToolContext = {
      signal: call.signal,
      callId,
      agent: session.agent,
      permissions: session.permissions,
      workspaceDir: session.guard.workspace,
      paths: this.#callPaths(session.guard, decision.resolved),
      audit: this.#options.audit,
      ports: this.#options.ports,
      clock,
      logger,
    };
    try {
      const returned = await raceAbort(executorOf(tool)(parsed.data, context), call.signal, logger);
      const truncated = returned.truncated ?? false;
      const durationMs = clock.now() - started;
      publisher.publish(createEvent("tool.completed", { ...base, durationMs, truncated }, source, clock.now()));
      return { ok: true, output: redactor.redactValue(returned.output), truncated, durationMs };
    } catch (error) {
      const kernelError = call.signal.aborted ? abortError(call.signal) : KernelError.from(error, ToolErrorCode.failed);
      return failed(kernelError);
    }
  }

  #toolRefusal(name: string, family: ToolFamily, permissions: EffectivePermissions): string | undefined {
    if (toolNameMatches(permissions.tools.deny, name)) return `tool ${name} is denied by the agent's permissions`;
    if (permissions.tools.allow !== undefined && !toolNameMatches(permissions.tools.allow, name)) {
      return `tool ${name} is not in the agent's tool allowlist`;
    }
    if (!permissions.families.has(family)) {
      const capped =
        permissions.effectiveTemplate === permissions.template
          ? ""
          : ` (template ${permissions.template} capped by role ${permissions.role})`;
      return `template ${permissions.effectiveTemplate}${capped} does not grant ${family}`;
    }
    return undefined;
  }

  async #decide(
    tool: AnyTool,
    input: unknown,
    session: GateSession,
    callId: string,
    signal: AbortSignal,
    redactor: Redactor,
  ): Promise<Decision> {
    const { permissions, guard } = session;
    const request = tool.access(input);
    const family = request.family ?? tool.family;
    const resolved = new Map<string, string>();
    const deny = (code: string, reason: string): Decision => ({
      allowed: false,
      code,
      reason,
      family,
      request,
      resolved,
    });

    const toolRefusal = this.#toolRefusal(tool.name, family, permissions);
    if (toolRefusal !== undefined) return deny(ToolErrorCode.denied, toolRefusal);
    if (request.network === true && !permissions.network) {
      return deny(ToolErrorCode.networkDenied, "network access is off for this agent");
    }
    for (const { path, access } of request.paths ?? []) {
      try {
        resolved.set(pathKey(access, path), await guard.resolve(path, access));
      } catch (error) {
        const kernelError = KernelError.from(error, ToolErrorCode.pathDenied);
        return deny(kernelError.code, kernelError.message);
      }
    }
    if (request.exec !== undefined) {
      const refusal = execRefusal(request.exec, permissions);
      if (refusal !== undefined) return deny(ToolErrorCode.execDenied, refusal);
    }
    // An approval the profile asks for binds every role; one the tool asks for itself
    // (shell mode, killing an agent) is skipped for the admin role.
    const required = toolNameMatches(permissions.approvalRequired, tool.name)
      ? `the agent's permissions require approval for ${tool.name}`
      : undefined;
    const dangerous = required ?? request.dangerous;
    if (dangerous === undefined) {
      return { allowed: true, reason: "permitted by template, role and permissions", family, request, resolved };
    }
    if (required === undefined && permissions.role === "admin") {
      return { allowed: true, reason: `admin role: approval not required (${dangerous})`, family, request, resolved };
    }
    const { agent } = session;
    const approval = await this.#options.approvals.request({
      agentId: agent.agentId,
      tool: tool.name,
      reason: dangerous,
      timeoutMs: this.#options.approvalTimeoutMs,
      signal,
      input: redactor.redactValue(input),
      callId,
      ...(agent.runId === undefined ? {} : { runId: agent.runId }),
      ...(agent.profile === undefined ? {} : { profile: agent.profile }),
      ...(this.#options.approvalDefault === undefined ? {} : { defaultDecision: this.#options.approvalDefault }),
    });
    this.#options.logger.debug("approval settled", { callId, approvalId: approval.approvalId, by: approval.by });
    if (approval.approved) {
      const reason =
        approval.by === "timeout"
          ? `approved by default after the approval timed out: ${dangerous}`
          : `approved by ${approval.by}: ${dangerous}`;
      return { allowed: true, reason, family, approvalId: approval.approvalId, request, resolved };
    }
    const why =
      approval.by === "timeout"
        ? `approval timed out: ${approval.reason ?? "no answer"}`
        : approval.by === "aborted"
          ? "call cancelled while waiting for approval"
          : `approval rejected by ${approval.by}${approval.reason === undefined ? "" : `: ${approval.reason}`}`;
    return {
      ...deny(ToolErrorCode.approvalDenied, `${why} (${dangerous})`),
      approvalId: approval.approvalId,
      abortedWhileWaiting: approval.by === "aborted",
    };
  }

  #auditDetails(session: GateSession, callId: string, decision: Decision): Record<string, unknown> {
    const request = decision.request;
    const details: Record<string, unknown> = {
      callId,
      decision: decision.allowed ? "allow" : "deny",
      reason: decision.reason,
      family: decision.family,
      role: session.permissions.role,
      template: session.permissions.effectiveTemplate,
    };
    if (session.agent.profile !== undefined) details.profile = session.agent.profile;
    if (session.agent.runId !== undefined) details.runId = session.agent.runId;
    if (decision.code !== undefined) details.code = decision.code;
    if (decision.approvalId !== undefined) details.approvalId = decision.approvalId;
    if (request.paths !== undefined) {
      details.paths = request.paths.map(({ path, access }) => ({
        path,
        access,
        realPath: decision.resolved.get(pathKey(access, path)),
      }));
    }
    if (request.exec !== undefined) details.exec = request.exec;
    return details;
  }

  #callPaths(guard: PathGuard, resolved: Map<string, string>): CallPaths {
    return {
      resolve: async (path, access) => resolved.get(pathKey(access, path)) ?? (await guard.resolve(path, access)),
      refusal: (realPath) => guard.refusal(realPath),
      display: (realPath) => guard.display(realPath),
    };
  }
}
