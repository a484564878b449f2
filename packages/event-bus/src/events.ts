/**
 * The kernel's event vocabulary: one discriminated union, `KernelEvent`, keyed by `type`.
 *
 * Names are `<noun>.<past-tense-verb>` in kebab-case (`agent.started`, `task.admitted`,
 * `memory.stored`). Every event has a time-ordered `id`, `at` (Unix ms), the `source` that
 * published it (a package or component name) and a typed `payload`. `docs/events.md` lists
 * every type with its payload; keep the two in step.
 */

/** An error as it travels in an event payload. */
export interface EventError {
  code: string;
  message: string;
}

export type Priority = "low" | "normal" | "high" | "critical";

/** Payload of every event type, keyed by type. */
export interface KernelEventPayloads {
  // Agents (supervisor)
  "agent.created": { agentId: string; name: string; seedId?: string };
  "agent.started": { agentId: string; runId: string; taskId?: string };
  "agent.stopped": { agentId: string; runId?: string; reason: string; durationMs?: number };
  "agent.failed": { agentId: string; runId?: string; error: EventError };
  "agent.restarted": { agentId: string; restarts: number; reason: string };
  "agent.completed": { agentId: string; runId: string; durationMs: number };
  "agent.output": { agentId: string; runId?: string; text: string; traceId?: string };
  "agent-group.created": { groupId: string; agentIds: string[]; seedId?: string };
  "agent-group.member-completed": { groupId: string; agentId: string; passed: boolean };

  // Orchestration (runtime)
  "message.received": { sessionId: string; spaceId?: string; text: string };
  "seed.created": { seedId: string; sessionId?: string; goal: string; criteria: number };
  "phase.started": { sessionId: string; phase: string };
  "phase.completed": { sessionId: string; phase: string; durationMs: number };
  "evaluation.completed": { seedId: string; score: number; passed: boolean; generation: number };
  "evolution.started": { seedId: string; generation: number };
  "evolution.max-reached": { seedId: string; generations: number; bestScore: number };
  /** A durable run continues from its journal after the kernel stopped mid-run. */
  "run.resumed": { taskId: string; agentId: string; resumes: number; fromStep: number; traceId?: string };

  // Approvals (tools gate)
  "approval.requested": {
    approvalId: string;
    agentId: string;
    tool: string;
    reason: string;
    timeoutMs: number;
    callId?: string;
    runId?: string;
  };
  "approval.resolved": { approvalId: string; approved: boolean; by: string; reason?: string };

  // Scheduled goals (scheduler)
  "schedule.created": { scheduleId: string; source: string };
  "schedule.updated": { scheduleId: string; source: string };
  "schedule.removed": { scheduleId: string; source: string };
  "schedule.fired": { scheduleId: string; scheduledAt: number; trigger: string; taskId: string; agent?: string };
  "schedule.skipped": { scheduleId: string; scheduledAt: number; reason: string; missed?: number; error?: EventError };

  // Models (runtime)
  "model.failed-over": {
    agentId: string;
    runId?: string;
    from: string;
    to: string;
    error: EventError;
    traceId?: string;
  };

  // Memory
  "memory.stored": { memoryId: string; memoryType: string; tier: string; spaceId?: string };
  "memory.recalled": { memoryIds: string[]; query?: string; sessionId?: string };
  "memory.forgotten": { memoryId: string; reason: string };
  "memory.reembed-progress": { done: number; total: number; model: string };
  "dream.started": { runId: string; resumedAtPhase?: string };
  "dream.phase-completed": { runId: string; phase: string; durationMs: number };
  "dream.completed": { runId: string; merged: number; pruned: number; promoted: number; demoted: number };

  // Spaces
  "space.created": { spaceId: string; name: string; source: "manual" | "auto_detected" };
  "space.updated": { spaceId: string; name: string };
  "space.activated": { spaceId: string; sessionId: string };
  "space.removed": { spaceId: string; name: string };

  // Scheduler
  "task.queued": { taskId: string; priority: Priority; rateKey: string; agentId?: string; queueLength: number };
  "task.admitted": { taskId: string; waitingMs: number; attempt: number };
  "task.completed": { taskId: string; waitingMs: number; turnaroundMs: number };
  "task.failed": { taskId: string; waitingMs: number; turnaroundMs: number; error: EventError };
  "task.cancelled": { taskId: string; reason: string; wasRunning: boolean; waitingMs?: number; turnaroundMs?: number };
  "task.reaped": {
    taskId: string;
    lastHeartbeatMs: number;
    zombieAfterMs: number;
    waitingMs: number;
    turnaroundMs: number;
  };

  // Tools
  "tool.started": { callId: string; tool: string; agentId: string; traceId?: string };
  "tool.completed": {
    callId: string;
    tool: string;
    agentId: string;
    durationMs: number;
    truncated: boolean;
    traceId?: string;
  };
  "tool.failed": {
    callId: string;
    tool: string;
    agentId: string;
    durationMs: number;
    error: EventError;
    traceId?: string;
  };
  "tool.denied": { callId: string; tool: string; agentId: string; reason: string; traceId?: string };

  // The bus and the audit trail themselves
  "bus.lagged": { subscriber: string; lost: number };
  "bus.listener-failed": { listener: string; eventType: string; error: EventError };
  "audit.failed": { error: EventError; pending: number };
}

export type KernelEventType = keyof KernelEventPayloads;

/** One kernel event of type `T`. */
export interface KernelEventOf<T extends KernelEventType> {
  readonly type: T;
  readonly id: string;
  readonly at: number;
  readonly source: string;
  readonly payload: KernelEventPayloads[T];
}

/** Any kernel event; narrow with `event.type`. */
export type KernelEvent = { [T in KernelEventType]: KernelEventOf<T> }[KernelEventType];
