/**
 * The A2A server's port into this kernel: an incoming A2A task becomes a direct run
 * (`RunService.start` → `runtime.runGoal`, so it is journalled, admitted by the same
 * scheduler and its tools pass the same gate), `cancel` is `cancelRun` (the run is really
 * aborted, its model request and tools with it), and `events` relays the run's status
 * changes from the run journal, as `GET /api/runs/{taskId}/events` does — so any node of a
 * cluster streams a run that another node runs.
 */

import { abortError, type Logger } from "@oxios/core";
import type { Priority } from "@oxios/event-bus";
import type { A2aKernelPort, A2aKernelTaskUpdate, A2aTaskRequest } from "@oxios/tools/a2a";
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
  readonly #logger: Logger;

  constructor(options: { runs: RunService; logger: Logger }) {
    this.#runs = options.runs;
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

  /**
   * The run's status changes, read from the run journal by the relay behind
   * `GET /api/runs/{taskId}/events` (`RunService.events`): `queued` while it waits, `running`
   * once it started (its first step, or its record), then its terminal record. The same on
   * every node of a cluster, whichever node runs the run or took it over.
   *
   * Throws: `RUN_NOT_FOUND` when the journal does not hold the run; the signal's abort error
   * once `signal` aborts before the run ended.
   */
  async *events(taskId: string, options: { signal?: AbortSignal } = {}): AsyncIterable<A2aKernelTaskUpdate> {
    const signal = options.signal ?? new AbortController().signal;
    let last: string | undefined;
    let current: RunRecord | undefined;
    for await (const event of this.#runs.events(taskId, 0, signal)) {
      const record = event.type === "step" ? current : event.record;
      if (record === undefined) continue;
      current = record;
      const ran = event.type === "step" || record.startedAt !== undefined;
      const status = record.status === "queued" && ran ? "running" : record.status;
      // A run that started and ended between two reads still reports that it ran.
      if (TERMINAL.has(status) && ran && last !== "running") {
        last = "running";
        yield runUpdate({ ...record, status: "running" });
      }
      if (status !== last) {
        last = status;
        yield runUpdate({ ...record, status });
      }
      if (event.type === "end") return;
    }
    throw abortError(signal);
  }
}
