/**
 * What the supervisor needs from a scheduler: run a function once admitted, cancel a queued
 * run, and abort a running one while it keeps its slot. `@oxios/scheduler`'s `Scheduler`
 * satisfies it; every agent run goes through it.
 */

import type { KernelError } from "@oxios/core";
import type { Priority } from "@oxios/event-bus";

export interface AdmissionLease {
  readonly signal: AbortSignal;
  heartbeat(): void;
}

export interface AgentTaskSpec {
  id?: string;
  /** `id` was made just now (a fresh random id, stored nowhere): the queue need not look it up. */
  freshId?: boolean;
  priority?: Priority;
  rateKey?: string;
  agentId?: string;
  /** The agent profile the run goes under (a cluster caps running tasks per profile). */
  profile?: string;
  idempotencyKey?: string;
}

export interface AgentScheduler {
  run<T>(spec: AgentTaskSpec, fn: (signal: AbortSignal, lease: AdmissionLease) => Promise<T>): Promise<T>;
  /** Removes a queued task (its `run` rejects). */
  cancel(taskId: string, reason: string): boolean;
  /** Aborts a running task's signal with `reason`; its slot stays taken until the runner settles. */
  abort(taskId: string, reason: KernelError): boolean;
}
