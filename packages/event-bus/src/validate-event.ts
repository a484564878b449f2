/**
 * The cheap check `EventBus.publish` runs before delivering anything: the type tag is one
 * the kernel knows, the envelope fields are there, and each required payload field has the
 * right kind. The table below is typed from `KernelEventPayloads`, so adding an event type
 * or a required field without listing it here fails to compile. Full schema validation
 * belongs at the edges where events arrive from outside the process.
 */

import { KernelError } from "@oxios/core";
import type { KernelEventPayloads, KernelEventType } from "./events.ts";

type FieldKind = "string" | "number" | "boolean" | "array" | "object";

type KindOf<Value> = Value extends string
  ? "string"
  : Value extends number
    ? "number"
    : Value extends boolean
      ? "boolean"
      : Value extends readonly unknown[]
        ? "array"
        : "object";

type RequiredKeys<Payload> = {
  [Key in keyof Payload]-?: undefined extends Payload[Key] ? never : Key;
}[keyof Payload];

type FieldTable = {
  [Type in KernelEventType]: {
    [Key in RequiredKeys<KernelEventPayloads[Type]>]: KindOf<KernelEventPayloads[Type][Key]>;
  };
};

const error = "object";

/** Required payload fields of every event type, with their kind. */
const requiredFields: FieldTable = {
  "agent.created": { agentId: "string", name: "string" },
  "agent.started": { agentId: "string", runId: "string" },
  "agent.stopped": { agentId: "string", reason: "string" },
  "agent.failed": { agentId: "string", error },
  "agent.restarted": { agentId: "string", restarts: "number", reason: "string" },
  "agent.output": { agentId: "string", text: "string" },
  "agent-group.created": { groupId: "string", agentIds: "array" },
  "agent-group.member-completed": { groupId: "string", agentId: "string", passed: "boolean" },
  "message.received": { sessionId: "string", text: "string" },
  "seed.created": { seedId: "string", goal: "string", criteria: "number" },
  "phase.started": { sessionId: "string", phase: "string" },
  "phase.completed": { sessionId: "string", phase: "string", durationMs: "number" },
  "evaluation.completed": { seedId: "string", score: "number", passed: "boolean", generation: "number" },
  "evolution.started": { seedId: "string", generation: "number" },
  "evolution.max-reached": { seedId: "string", generations: "number", bestScore: "number" },
  "approval.requested": {
    approvalId: "string",
    agentId: "string",
    tool: "string",
    reason: "string",
    timeoutMs: "number",
  },
  "approval.resolved": { approvalId: "string", approved: "boolean", by: "string" },
  "memory.stored": { memoryId: "string", memoryType: "string", tier: "string" },
  "memory.recalled": { memoryIds: "array" },
  "memory.forgotten": { memoryId: "string", reason: "string" },
  "memory.reembed-progress": { done: "number", total: "number", model: "string" },
  "dream.started": { runId: "string" },
  "dream.phase-completed": { runId: "string", phase: "string", durationMs: "number" },
  "dream.completed": { runId: "string", merged: "number", pruned: "number", promoted: "number", demoted: "number" },
  "space.created": { spaceId: "string", name: "string", source: "string" },
  "space.updated": { spaceId: "string", name: "string" },
  "space.activated": { spaceId: "string", sessionId: "string" },
  "space.removed": { spaceId: "string", name: "string" },
  "task.queued": { taskId: "string", priority: "string", rateKey: "string", queueLength: "number" },
  "task.admitted": { taskId: "string", waitingMs: "number", attempt: "number" },
  "task.completed": { taskId: "string", waitingMs: "number", turnaroundMs: "number" },
  "task.failed": { taskId: "string", waitingMs: "number", turnaroundMs: "number", error },
  "task.cancelled": { taskId: "string", reason: "string", wasRunning: "boolean" },
  "task.reaped": { taskId: "string", lastHeartbeatMs: "number", zombieAfterMs: "number" },
  "tool.started": { callId: "string", tool: "string", agentId: "string" },
  "tool.completed": {
    callId: "string",
    tool: "string",
    agentId: "string",
    durationMs: "number",
    truncated: "boolean",
  },
  "tool.failed": { callId: "string", tool: "string", agentId: "string", durationMs: "number", error },
  "tool.denied": { callId: "string", tool: "string", agentId: "string", reason: "string" },
  "bus.lagged": { subscriber: "string", lost: "number" },
  "bus.listener-failed": { listener: "string", eventType: "string", error },
  "audit.failed": { error, pending: "number" },
};

/** Every event type the kernel knows, in vocabulary order. */
export const kernelEventTypes: readonly KernelEventType[] = Object.freeze(
  Object.keys(requiredFields) as KernelEventType[],
);

// Flattened once so the hot path walks a small array instead of an object's keys.
const checks = new Map<string, ReadonlyArray<readonly [string, FieldKind]>>(
  Object.entries(requiredFields).map(([type, fields]) => [
    type,
    Object.entries(fields as Record<string, FieldKind>).map(([key, kind]) => [key, kind] as const),
  ]),
);

export function isKernelEventType(value: unknown): value is KernelEventType {
  return typeof value === "string" && checks.has(value);
}

function hasKind(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && !Number.isNaN(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
  }
}

function invalid(reason: string, type: unknown, field?: string): KernelError {
  return new KernelError("EVENT_INVALID", `event rejected: ${reason}`, {
    details: field === undefined ? { type } : { type, field },
  });
}

/** Throws `EVENT_INVALID` (with `details.type` and `details.field`) unless `event` is well formed. */
export function validateEvent(event: unknown): void {
  if (typeof event !== "object" || event === null) throw invalid("not an object", undefined);
  const candidate = event as { type?: unknown; id?: unknown; at?: unknown; source?: unknown; payload?: unknown };
  const type = candidate.type;
  const fields = typeof type === "string" ? checks.get(type) : undefined;
  if (fields === undefined) throw invalid(`unknown type ${JSON.stringify(type)}`, type);
  if (typeof candidate.id !== "string" || candidate.id.length === 0) throw invalid("id must be a string", type, "id");
  if (typeof candidate.at !== "number" || !Number.isFinite(candidate.at)) {
    throw invalid("at must be a finite number", type, "at");
  }
  if (typeof candidate.source !== "string") throw invalid("source must be a string", type, "source");
  const payload = candidate.payload;
  if (typeof payload !== "object" || payload === null) throw invalid("payload must be an object", type, "payload");
  for (const [key, kind] of fields) {
    if (!hasKind((payload as Record<string, unknown>)[key], kind)) {
      throw invalid(`${String(type)}: payload.${key} must be ${kind === "array" ? "an" : "a"} ${kind}`, type, key);
    }
  }
}
