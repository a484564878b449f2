/**
 * The port through which the A2A server reaches the kernel. @oxios/tools may not depend on
 * the scheduler or the supervisor, so the kernel app implements this: `submit` turns an
 * incoming A2A task into a kernel task that goes through the same scheduler and access gate
 * as any other run; `cancel` really cancels that run.
 */

import type { PortCallOptions } from "../ports.ts";

export type A2aKernelTaskState = "queued" | "running" | "completed" | "failed" | "cancelled";

/** A change of a kernel task as the A2A server relays it. */
export interface A2aKernelTaskUpdate {
  state: A2aKernelTaskState;
  /** Text for the remote caller (progress, the answer, or why it failed). */
  message?: string;
  /** The structured result, on `completed`. */
  output?: unknown;
}

export interface A2aTaskRequest {
  /** What the remote agent asked for: the text of its message. */
  goal: string;
  /** Structured parts of the message (A2A data parts), when present. */
  payload?: unknown;
  /** `low`, `normal`, `high` or `critical` when the caller set one in the message metadata. */
  priority?: string;
  /** The A2A context (conversation) the task belongs to. */
  contextId: string;
  /** The A2A task id the caller sees. */
  a2aTaskId: string;
}

export interface A2aKernelPort {
  /** Submits a kernel task through the scheduler; resolves once it is accepted (queued). */
  submit(request: A2aTaskRequest, options?: PortCallOptions): Promise<{ taskId: string }>;
  /** The latest state of a kernel task, or undefined when unknown. */
  status(taskId: string, options?: PortCallOptions): Promise<A2aKernelTaskUpdate | undefined>;
  /** Cancels the run; `cancelled` is false when it had already finished. */
  cancel(taskId: string, options?: PortCallOptions): Promise<{ cancelled: boolean }>;
  /**
   * The task's updates from now on, ending after a terminal state (`completed`, `failed`,
   * `cancelled`); stops early when `signal` aborts.
   */
  events(taskId: string, options?: PortCallOptions): AsyncIterable<A2aKernelTaskUpdate>;
}

export const TERMINAL_KERNEL_STATES: ReadonlySet<A2aKernelTaskState> = new Set(["completed", "failed", "cancelled"]);
