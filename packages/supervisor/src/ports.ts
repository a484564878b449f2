/**
 * What the supervisor needs from a scheduler: run a function once admitted, and cancel.
 * `@oxios/scheduler`'s `Scheduler` satisfies it; every agent run goes through it.
 */

import type { Priority } from "@oxios/event-bus";

export interface AdmissionLease {
  readonly signal: AbortSignal;
  heartbeat(): void;
}

export interface AgentTaskSpec {
  id?: string;
  priority?: Priority;
  rateKey?: string;
  agentId?: string;
  idempotencyKey?: string;
}

export interface AgentScheduler {
  run<T>(spec: AgentTaskSpec, fn: (signal: AbortSignal, lease: AdmissionLease) => Promise<T>): Promise<T>;
  cancel(taskId: string, reason: string): boolean;
}
