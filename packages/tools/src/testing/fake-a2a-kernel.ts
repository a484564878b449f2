/**
 * An in-memory `A2aKernelPort`: tasks are accepted on submit and move only when the test
 * says so (`update`), or when they are cancelled, so A2A servers can be tested end to end
 * without a scheduler.
 */

import { abortError, KernelError } from "@oxios/core";
import type { A2aKernelPort, A2aKernelTaskUpdate, A2aTaskRequest } from "../a2a/kernel-port.ts";
import { A2aErrorCode } from "../error-codes.ts";
import type { PortCallOptions } from "../ports.ts";

interface FakeTask {
  request: A2aTaskRequest;
  updates: A2aKernelTaskUpdate[];
  waiters: Array<() => void>;
}

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

export class FakeA2aKernelPort implements A2aKernelPort {
  readonly tasks = new Map<string, FakeTask>();
  readonly cancelled: string[] = [];
  #next = 0;

  async submit(request: A2aTaskRequest, options: PortCallOptions = {}): Promise<{ taskId: string }> {
    if (options.signal?.aborted) throw abortError(options.signal);
    this.#next += 1;
    const taskId = `kernel-task-${this.#next}`;
    this.tasks.set(taskId, { request, updates: [{ state: "queued" }], waiters: [] });
    return { taskId };
  }

  /** The kernel task created for an A2A task id. */
  taskFor(a2aTaskId: string): string | undefined {
    for (const [taskId, task] of this.tasks) if (task.request.a2aTaskId === a2aTaskId) return taskId;
    return undefined;
  }

  /** Moves a task along (what the scheduler and the agent run would do). */
  update(taskId: string, update: A2aKernelTaskUpdate): void {
    const task = this.#task(taskId);
    task.updates.push(update);
    for (const wake of task.waiters.splice(0)) wake();
  }

  async status(taskId: string): Promise<A2aKernelTaskUpdate | undefined> {
    return this.tasks.get(taskId)?.updates.at(-1);
  }

  async cancel(taskId: string): Promise<{ cancelled: boolean }> {
    const task = this.#task(taskId);
    const last = task.updates.at(-1);
    if (last !== undefined && TERMINAL.has(last.state)) return { cancelled: false };
    this.cancelled.push(taskId);
    this.update(taskId, { state: "cancelled", message: "cancelled by request" });
    return { cancelled: true };
  }

  async *events(taskId: string, options: PortCallOptions = {}): AsyncIterable<A2aKernelTaskUpdate> {
    const task = this.#task(taskId);
    let index = task.updates.length - 1;
    for (;;) {
      while (index < task.updates.length) {
        const update = task.updates[index] as A2aKernelTaskUpdate;
        index += 1;
        yield update;
        if (TERMINAL.has(update.state)) return;
      }
      await new Promise<void>((resolve, reject) => {
        const signal = options.signal;
        if (signal?.aborted) return reject(abortError(signal));
        const onAbort = (): void => reject(abortError(signal as AbortSignal));
        signal?.addEventListener("abort", onAbort, { once: true });
        task.waiters.push(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  }

  #task(taskId: string): FakeTask {
    const task = this.tasks.get(taskId);
    if (task === undefined) throw new KernelError(A2aErrorCode.kernelTaskUnknown, `no kernel task ${taskId}`);
    return task;
  }
}
