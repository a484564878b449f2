/**
 * Kernel tools over the KernelPort and the AuditSink: kernel_agents (list; kill needs
 * `kernel.control` and is always dangerous — approval unless admin), scheduler_stats,
 * audit_verify and audit_query.
 */

import { KernelError } from "@oxios/core";
import { z } from "zod";
import { ToolErrorCode } from "./error-codes.ts";
import type { AgentInfo } from "./ports.ts";
import { requirePort } from "./require-port.ts";
import { defineTool } from "./tool.ts";

interface KernelAgentsInput {
  action: "list" | "kill";
  agentId?: string | undefined;
  reason: string;
}

export type KernelAgentsOutput = { agents: AgentInfo[] } | { agentId: string; killed: boolean };

export function kernelAgentsTool() {
  return defineTool<z.ZodType<KernelAgentsInput, unknown>, KernelAgentsOutput>({
    name: "kernel_agents",
    description: "List the kernel's agents, or kill one (stops its run; needs approval).",
    input: z
      .object({
        action: z.enum(["list", "kill"]).default("list"),
        agentId: z.string().min(1).optional().describe("Agent to kill."),
        reason: z.string().min(1).max(500).default("killed by an agent"),
      })
      .refine((input) => input.action === "list" || input.agentId !== undefined, {
        path: ["agentId"],
        message: "kill needs agentId",
      }),
    family: "kernel.read",
    access: (input) =>
      input.action === "kill"
        ? { family: "kernel.control", dangerous: `kill agent ${input.agentId ?? ""}` }
        : { family: "kernel.read" },
    async execute(input, context) {
      const kernel = requirePort(context.ports.kernel, "kernel", "kernel_agents");
      if (input.action === "list") return { output: { agents: await kernel.listAgents({ signal: context.signal }) } };
      const result = await kernel.killAgent(input.agentId ?? "", input.reason, { signal: context.signal });
      return { output: { agentId: input.agentId ?? "", killed: result.killed } };
    },
  });
}

export function schedulerStatsTool() {
  return defineTool({
    name: "scheduler_stats",
    description: "The scheduler's current statistics: queue lengths, running tasks, admissions.",
    input: z.object({}),
    family: "kernel.read",
    idempotent: true,
    async execute(_input, context) {
      const kernel = requirePort(context.ports.kernel, "kernel", "scheduler_stats");
      return { output: await kernel.schedulerStats({ signal: context.signal }) };
    },
  });
}

export function auditVerifyTool() {
  return defineTool({
    name: "audit_verify",
    description: "Verify the audit trail's hash chain; reports the first broken entry if any.",
    input: z.object({}),
    family: "audit.read",
    idempotent: true,
    async execute(_input, context) {
      const verify = context.audit.verify?.bind(context.audit);
      if (verify === undefined) {
        throw new KernelError(ToolErrorCode.unavailable, "this audit trail cannot verify itself");
      }
      return { output: await verify({ signal: context.signal }) };
    },
  });
}

export function auditQueryTool() {
  return defineTool({
    name: "audit_query",
    description: "Query audit entries by actor, action and resource; newest first.",
    input: z.object({
      actor: z.string().min(1).optional(),
      action: z.string().min(1).optional(),
      resource: z.string().min(1).optional(),
      limit: z.number().int().min(1).max(500).default(50),
    }),
    family: "audit.read",
    idempotent: true,
    async execute(input, context) {
      const query = context.audit.query?.bind(context.audit);
      if (query === undefined) throw new KernelError(ToolErrorCode.unavailable, "this audit trail cannot be queried");
      const filter = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as {
        limit: number;
      };
      return { output: await query(filter, { signal: context.signal }) };
    },
  });
}
