/**
 * Adapters: the tools' kernel and audit ports implemented over the supervisor, the scheduler
 * and the audit trail (memory and space ports come from `@oxios/runtime`'s adapters).
 */

import type { AuditTrail } from "@oxios/event-bus";
import type { Scheduler } from "@oxios/scheduler";
import type { Supervisor } from "@oxios/supervisor";
import type { AuditSink, KernelPort } from "@oxios/tools";

/** The tools' KernelPort over the supervisor and scheduler. */
export function kernelToolPort(supervisor: Supervisor, scheduler: Scheduler): KernelPort {
  return {
    async listAgents() {
      return supervisor
        .list()
        .map((agent) => ({ agentId: agent.id, name: agent.name, state: agent.status, startedAt: agent.createdAt }));
    },
    async killAgent(agentId, reason) {
      const before = supervisor.get(agentId);
      if (before === undefined) return { killed: false };
      await supervisor.kill(agentId, reason);
      return { killed: true };
    },
    async schedulerStats() {
      return { ...scheduler.stats() };
    },
  };
}

/** The tools' AuditSink over the audit trail. */
export function auditSink(trail: AuditTrail): AuditSink {
  return {
    append: (entry) =>
      trail.append({
        actor: entry.actor,
        action: entry.action,
        resource: entry.resource,
        details: JSON.parse(JSON.stringify(entry.details)),
      }),
    verify: () => trail.verify(),
    query: async (query) =>
      trail.query({
        limit: query.limit,
        ...(query.actor ? { actor: query.actor } : {}),
        ...(query.action ? { action: query.action } : {}),
      }),
  };
}
