/**
 * The A2A server's port into this kernel: an incoming A2A task becomes a direct run
 * (`RunService.start` → `runtime.runGoal`, so it is journalled, admitted by the same
 * scheduler and its tools pass the same gate), `cancel` is `cancelRun` (the run is really
 * aborted, its model request and tools with it), and `events` relays the run's status
 * changes: `running` when the bus says its agent started, then the terminal record.
 */

import { abortError, KernelError, type Logger } from "@oxios/core";
import type { EventBus, Priority } from "@oxios/event-bus";
import type { A2aKernelPort, A2aKernelTaskUpdate, A2aTaskRequest } from "@oxios/tools/a2a";
import { KernelErrorCode } from "./error-codes.ts";
import type { RunRecord, RunService } from "./runs.ts";

const PRIORITIES: ReadonlySet<string> = new Set(["low", "normal", "high", "critical"]);
const TERMINAL: ReadonlySet<string> = new Set(["completed", "failed", "cancelled"]);

/** What a remote caller sees of a run's record. */
export function runUpdate(record: RunRecord): A2aKernelTaskUpdate {
  switch (record.status) {
    case "completed":
      return {
        state: "completed",
        ...(record.text === undefined ? {} : { message: record.text }),
        output: {
          taskId: record.taskId,
          text: record.text ?? "",
          steps: record.steps ?? 0,
          toolCalls: record.toolCalls ?? [],
        },
      };
    case "failed":
      return {
        state: "failed",
        message: record.error === undefined ? "the run failed" : `${record.error.code}: ${record.error.message}`,
      };
    case "cancelled":
      return { state: "cancelled", message: record.error?.message ?? "cancelled" };
    case "running":
      return { state: "running", message: "running" };
    default:
      return { state: "queued" };
  }
}

/** The goal text of an A2A request: its text parts, then its data parts as JSON. */
export function goalOf(request: A2aTaskRequest): string {
  if (request.payload === undefined) return request.goal;
  const payload = JSON.stringify(request.payload, null, 2);
  return request.goal.trim() === "" ? `Input:\n${payload}` : `${request.goal}\n\nInput:\n${payload}`;
}

export class KernelA2aPort implements A2aKernelPort {
  readonly #runs: RunService;
  readonly #bus: EventBus;
  readonly #logger: Logger;
  #listeners = 0;

  constructor(options: { runs: RunService; bus: EventBus; logger: Logger }) {
    this.#runs = options.runs;
    this.#bus = options.bus;
    this.#logger = options.logger;
  }

  async submit(request: A2aTaskRequest, options: { signal?: AbortSignal } = {}): Promise<{ taskId: string }> {
    const priority = request.priority !== undefined && PRIORITIES.has(request.priority) ? request.priority : "normal";
    // The relay's signal aborts only when the A2A server closes; the run is cancelled with it.
    const started = await this.#runs.start({
      goal: goalOf(request),
      priority: priority as Priority,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    this.#logger.info("A2A task accepted as a run", { a2aTaskId: request.a2aTaskId, taskId: started.taskId });
    return { taskId: started.taskId };
  }

  async status(taskId: string): Promise<A2aKernelTaskUpdate | undefined> {
    const record = await this.#runs.load(taskId);
    return record === undefined ? undefined : runUpdate(record);
  }

  async cancel(taskId: string): Promise<{ cancelled: boolean }> {
    return { cancelled: await this.#runs.cancel(taskId, "cancelled over A2A") };
  }

  async *events(taskId: string, options: { signal?: AbortSignal } = {}): AsyncIterable<A2aKernelTaskUpdate> {
    const { signal } = options;
    const first = await this.#runs.load(taskId);
    if (first === undefined) throw new KernelError(KernelErrorCode.runNotFound, `no run ${taskId}`);
    let pending = false;
    let started = first.status !== "queued";
    let wake: () => void = () => undefined;
    const notify = (): void => {
      pending = true;
      wake();
    };
    const off = this.#bus.on(
      ["agent.started", "agent.completed", "agent.failed", "agent.stopped"],
      (event) => {
        if ((event.payload as { agentId?: string }).agentId !== first.agentId) return;
        if (event.type === "agent.started") started = true;
        notify();
      },
      { name: `a2a-relay-${++this.#listeners}` },
    );
    // The record turns terminal only once the run's promise settles (after the bus event).
    this.#runs.finished(taskId)?.then(notify, (error: unknown) => {
      this.#logger.error("run result rejected", { taskId, error: KernelError.from(error).message });
      notify();
    });
    signal?.addEventListener("abort", notify);
    let last: string | undefined;
    try {
      for (;;) {
        if (signal?.aborted) throw abortError(signal);
        pending = false;
        const record = (await this.#runs.load(taskId)) ?? first;
        // `agent.started` is published before the run's record says `running`.
        const view = record.status === "queued" && started ? { ...record, status: "running" as const } : record;
        // A run that started and ended between two looks still reports that it ran.
        const ran = started || record.startedAt !== undefined;
        if (TERMINAL.has(view.status) && ran && last !== "running") {
          last = "running";
          yield runUpdate({ ...record, status: "running" });
        }
        if (view.status !== last) {
          last = view.status;
          yield runUpdate(view);
        }
        if (TERMINAL.has(view.status)) return;
        if (!pending) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = () => undefined;
        }
      }
    } finally {
      off();
      signal?.removeEventListener("abort", notify);
    }
  }
}
