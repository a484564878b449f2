/**
 * Direct runs with a durable journal: `runtime.runGoal` does the work (supervisor, scheduler,
 * agent loop through the gate); every run record is also kept in the state store (category
 * `runs`), so a run the process lost (SIGKILL, power loss) is found at the next start and
 * reported as interrupted.
 */

import { type Clock, KernelError, type Logger } from "@oxios/core";
import type { RunGoalRequest, RunRecord, Runtime } from "@oxios/runtime";
import type { StateStore } from "@oxios/state-store";
import { KernelErrorCode } from "./error-codes.ts";

export type { RunRecord };

export interface RunServiceOptions {
  runtime: Runtime;
  state: StateStore;
  clock: Clock;
  logger: Logger;
}

const CATEGORY = "runs";
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class RunService {
  readonly #options: RunServiceOptions;
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Live runs' own results: long polls and A2A answer as soon as a run has finished. */
  readonly #results = new Map<string, Promise<RunRecord>>();

  constructor(options: RunServiceOptions) {
    this.#options = options;
  }

  /** Marks runs a previous process left queued or running as failed (`RUN_INTERRUPTED`). */
  async recoverInterrupted(): Promise<RunRecord[]> {
    const { state, clock } = this.#options;
    const interrupted: RunRecord[] = [];
    for (const entry of await state.list(CATEGORY)) {
      const stored = (await state.load(CATEGORY, entry.name)) as RunRecord | undefined;
      if (stored === undefined || (stored.status !== "queued" && stored.status !== "running")) continue;
      const record: RunRecord = {
        ...stored,
        status: "failed",
        finishedAt: clock.now(),
        error: { code: KernelErrorCode.runInterrupted, message: "the kernel stopped before this run finished" },
      };
      await state.save(CATEGORY, record.taskId, record);
      interrupted.push(record);
    }
    return interrupted;
  }

  /** Starts a run; resolves once it is journalled (durable), not when it finishes. */
  async start(request: RunGoalRequest): Promise<{ taskId: string; agentId: string }> {
    const { runtime, state, logger } = this.#options;
    const handle = runtime.runGoal(request);
    const queued = runtime.getRun(handle.taskId);
    if (queued !== undefined) await state.save(CATEGORY, handle.taskId, queued);
    const work = handle.result
      .then((record) => state.save(CATEGORY, record.taskId, record))
      .catch((error: unknown) =>
        logger.error("run record not journalled", { taskId: handle.taskId, error: KernelError.from(error).message }),
      )
      .finally(() => {
        this.#inFlight.delete(handle.taskId);
        this.#results.delete(handle.taskId);
      });
    this.#inFlight.set(handle.taskId, work);
    this.#results.set(handle.taskId, handle.result);
    return { taskId: handle.taskId, agentId: handle.agentId };
  }

  /** A run of this process, else one a previous process journalled. */
  async load(taskId: string): Promise<RunRecord | undefined> {
    const live = this.#options.runtime.getRun(taskId);
    if (live !== undefined) return live;
    if (!ID.test(taskId)) return undefined;
    return (await this.#options.state.load(CATEGORY, taskId)) as RunRecord | undefined;
  }

  /** The final record of a run of this process that has not settled yet (never rejects). */
  finished(taskId: string): Promise<RunRecord> | undefined {
    return this.#results.get(taskId);
  }

  /**
   * Resolves once the run has finished (its live record is then final; the journal write
   * follows on its own), after `waitMs`, or when `signal` aborts (the client went away) —
   * whichever comes first.
   */
  async waitFor(taskId: string, waitMs: number, signal?: AbortSignal): Promise<void> {
    const work = this.finished(taskId);
    if (work === undefined) return;
    let timer: { cancel(): void } | undefined;
    let onAbort: (() => void) | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = this.#options.clock.setTimer(resolve, waitMs);
      onAbort = resolve;
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    await Promise.race([work, gaveUp]);
    timer?.cancel();
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
  }

  list(): RunRecord[] {
    return this.#options.runtime.listRuns();
  }

  cancel(taskId: string, reason = "cancelled"): Promise<boolean> {
    return this.#options.runtime.cancelRun(taskId, reason);
  }

  /** Waits until every run's final record is journalled. */
  async settled(): Promise<void> {
    await Promise.all([...this.#inFlight.values()]);
  }
}
