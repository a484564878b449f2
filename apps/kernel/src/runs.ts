/**
 * Durable direct runs for the HTTP API and A2A: `runtime.runs` does the work (journal,
 * supervisor, scheduler, agent loop through the gate); this service acknowledges a run once
 * it is durable, answers long polls, and at boot brings back every run a previous process
 * left unfinished:
 * - runs whose scheduler task the durable queue hands back are continued inside that task's
 *   lease (`runtime.runs.resume`): a queued run starts, a running one continues from its last
 *   journalled step — at most `maxResumes` times, then it fails with `RUN_INTERRUPTED`;
 * - a run whose task never reached the queue is submitted again (`requeue`); one whose task
 *   already ended is concluded from its journal (`conclude`);
 * - on one kernel (`ownQueue`), a task left queued or running behind a run the journal holds as
 *   ended (the process stopped between the two writes, or the task's finish was lost while the
 *   database took no writes) is finished first, as the journal has the run.
 */

import { setMaxListeners } from "node:events";
import { type Clock, KernelError, type Logger } from "@oxios/core";
import { type Database, DatabaseErrorCode } from "@oxios/database";
import {
  isFinished,
  type RunGoalRequest,
  type RunRecord,
  type RunStep,
  type Runtime,
  RuntimeErrorCode,
} from "@oxios/runtime";
import type { LibsqlRunJournal } from "@oxios/runtime/libsql";
import type { Scheduler } from "@oxios/scheduler";
import type { LibsqlTaskStore } from "@oxios/scheduler/libsql";
import { KernelErrorCode } from "./error-codes.ts";
import { type RunEvent, runEvents } from "./run-events.ts";

export type { RunRecord };

export interface RunServiceOptions {
  runtime: Runtime;
  scheduler: Scheduler;
  journal: LibsqlRunJournal;
  clock: Clock;
  logger: Logger;
  /** How often one run may continue after the kernel stopped mid-run. */
  maxResumes: number;
  /**
   * In a cluster, runs of other nodes are in the shared journal only: a long poll for one of
   * them reads the journal this often (ms) until it has finished. Undefined: one kernel, no
   * other node's runs to wait for.
   */
  journalPollMs?: number;
  /** How often a run's event stream reads the journal while the run goes on (ms). Default 200. */
  eventsPollMs?: number;
  /**
   * One kernel, the only holder of its queue (`taskStore` on `database`, the journal's too):
   * `recover` finishes the tasks of runs the journal holds as ended. Undefined in a cluster,
   * where the node settles them (`ClusterNode`).
   */
  ownQueue?: { database: Database; taskStore: LibsqlTaskStore };
}

/** Tasks left queued or running behind a run the journal holds as ended (`recover`). */
const ENDED_RUNS_UNFINISHED_TASKS = `SELECT t.id AS id
  FROM scheduler_tasks t JOIN run_records r ON r.task_id = t.id
  WHERE t.status IN ('queued', 'running') AND r.status IN ('completed', 'failed', 'cancelled')`;

/** What the boot found of the previous process's runs. */
export interface RunRecovery {
  /** Runs continued from their journal or started (they were queued). */
  resumed: string[];
  /** Runs that could not continue and were concluded (failed `RUN_INTERRUPTED`, or completed from the journal). */
  concluded: RunRecord[];
}

/** What a caller is told when the database did not take a run's first write for a while. */
const REFUSALS: Readonly<Record<string, string>> = {
  [DatabaseErrorCode.full]: "the database is full (no space left on its disk); the run was not accepted",
  [DatabaseErrorCode.busy]:
    "the database's write lock was held by another process past the busy timeout; the run was not accepted",
};

/** The refusal for a journal write that failed because the database was full or busy, if it was. */
function refusedFor(error: unknown): { code: string; message: string } | undefined {
  const cause = KernelError.from(error).cause;
  if (!KernelError.isInstance(cause)) return undefined;
  const message = REFUSALS[cause.code];
  return message === undefined ? undefined : { code: cause.code, message };
}

export class RunService {
  readonly #options: RunServiceOptions;
  /** Aborted when intake stops: every long poll answers at once. */
  readonly #intake = new AbortController();

  constructor(options: RunServiceOptions) {
    this.#options = options;
    // Each long poll listens on the intake signal until it answers: a listener per open poll,
    // bounded by the connections the server holds. Node's default limit of 10 would print a
    // MaxListenersExceededWarning ("possible memory leak") at the 11th concurrent poll.
    setMaxListeners(0, this.#intake.signal);
  }

  /**
   * Takes over the previous process's runs (see the module comment). Call once at boot,
   * before the HTTP server accepts runs.
   */
  async recover(): Promise<RunRecovery> {
    const { runtime, scheduler, journal, logger, maxResumes } = this.#options;
    const finishedTasks = await this.#finishEndedRuns();
    const report = await scheduler.recover((_task, _signal, lease) => runtime.runs.resume(lease), {
      maxAttempts: maxResumes + 1,
      takeOverRunning: true,
    });
    const handled = new Set(report.requeued.map((task) => task.id));
    const concluded: RunRecord[] = [];
    for (const task of report.failed) {
      handled.add(task.id);
      const record = await runtime.runs.conclude(task.id, {
        code: KernelErrorCode.runInterrupted,
        message: `the kernel stopped while this run was running, ${maxResumes} times; it is not resumed again`,
      });
      if (record !== undefined) concluded.push(record);
    }
    for (const run of await journal.unfinished()) {
      const taskId = run.record.taskId;
      if (handled.has(taskId)) continue;
      if (scheduler.find(taskId) === undefined) {
        await runtime.runs.requeue(taskId);
        handled.add(taskId);
        continue;
      }
      const record = await runtime.runs.conclude(taskId, {
        code: KernelErrorCode.runInterrupted,
        message: "the kernel stopped before this run was journalled as ended",
      });
      if (record !== undefined) concluded.push(record);
    }
    const resumed = [...handled].filter((taskId) => !concluded.some((record) => record.taskId === taskId));
    if (resumed.length + concluded.length + finishedTasks > 0) {
      logger.warn("took over the runs of the previous process", {
        resumed: resumed.length,
        concluded: concluded.length,
        finishedTasks,
      });
    }
    return { resumed, concluded };
  }

  /**
   * One kernel, at boot, before the queue's recovery: finishes each task left queued or running
   * behind a run the journal holds as ended, with the run's status and error as the journal
   * reads them — rather than resuming it, which would fail the task `RUN_NOT_RESUMABLE`
   * although the run ended. Returns how many it finished.
   */
  async #finishEndedRuns(): Promise<number> {
    const ownQueue = this.#options.ownQueue;
    if (ownQueue === undefined) return 0;
    const rows = ownQueue.database.all<{ id: string }>(ENDED_RUNS_UNFINISHED_TASKS);
    for (const row of rows) {
      const record = await this.#options.journal.get(row.id);
      if (record === undefined) continue;
      const status = record.status;
      if (status !== "completed" && status !== "failed" && status !== "cancelled") continue;
      ownQueue.taskStore.write({
        kind: "finished",
        id: row.id,
        status,
        at: record.finishedAt ?? this.#options.clock.now(),
        ...(record.error === undefined ? {} : { error: record.error }),
      });
    }
    // The queue's recovery reads the tasks next: it must find these finished.
    if (rows.length > 0) await ownQueue.taskStore.flush();
    return rows.length;
  }

  /**
   * Starts a run and resolves once it is durable — or, when `idempotencyKey` names a run
   * the scheduler still holds, with that run (`created: false`).
   *
   * Throws: what `runGoal` throws (`RUNTIME_MESSAGE_EMPTY`, `RUNTIME_CLOSED`, …); when the
   * run could not be journalled nothing is accepted, and the code says what the caller can
   * do: `DATABASE_UNAVAILABLE` (the served database cannot be reached), `DATABASE_FULL` (the
   * disk is full), `DATABASE_BUSY` (another process held the database's write lock) — try
   * again later, the store takes runs again once the database takes writes — else
   * `RUN_JOURNAL_FAILED`.
   */
  async start(request: RunGoalRequest): Promise<{ taskId: string; agentId: string; created: boolean }> {
    const handle = this.#options.runtime.runGoal(request);
    try {
      await handle.accepted;
    } catch (error) {
      // The caller's answer names the cause it can act on: free the disk, or try again later.
      const refusal = refusedFor(error);
      if (refusal !== undefined) throw new KernelError(refusal.code, refusal.message, { cause: error });
      if (KernelError.from(error).code === RuntimeErrorCode.journalUnavailable) {
        throw new KernelError(
          DatabaseErrorCode.unavailable,
          "the database cannot be reached; the run was not accepted",
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    return { taskId: handle.taskId, agentId: handle.agentId, created: handle.created };
  }

  /** A run of this process, else one the journal keeps. */
  load(taskId: string): Promise<RunRecord | undefined> {
    return this.#options.runtime.runs.load(taskId);
  }

  /** The final record of a live run of this process (never rejects). */
  finished(taskId: string): Promise<RunRecord> | undefined {
    return this.#options.runtime.runs.whenFinished(taskId);
  }

  /**
   * Resolves once the run has finished, after `waitMs`, when `signal` aborts (the client went
   * away), or when intake stops (shutdown) — whichever comes first.
   */
  async waitFor(taskId: string, waitMs: number, signal?: AbortSignal): Promise<void> {
    // Ends the journal polling of a run of another node when this wait ends, however it ends
    // (only a cluster polls: one kernel makes no controller for it).
    const pollMs = this.#options.journalPollMs;
    const waited = pollMs === undefined ? undefined : new AbortController();
    const elsewhere = () =>
      pollMs === undefined || waited === undefined ? undefined : this.#finishedElsewhere(taskId, pollMs, waited.signal);
    const local = this.finished(taskId);
    // A local run that stopped without an end (its journal was out of reach) continues elsewhere, or here later.
    const work =
      local === undefined ? elsewhere() : local.then((record) => (isFinished(record.status) ? undefined : elsewhere()));
    if (work === undefined || this.#intake.signal.aborted) {
      waited?.abort();
      return;
    }
    let timer: { cancel(): void } | undefined;
    let onAbort: (() => void) | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = this.#options.clock.setTimer(resolve, waitMs);
      onAbort = resolve;
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#intake.signal.addEventListener("abort", onAbort, { once: true });
    });
    await Promise.race([work, gaveUp]);
    waited?.abort();
    timer?.cancel();
    if (onAbort !== undefined) {
      signal?.removeEventListener("abort", onAbort);
      this.#intake.signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * In a cluster: a run this node does not hold that the journal has unfinished (another node
   * runs it, or will) — resolves once the journal has it finished, or once `stop` aborts (the
   * wait ended) or intake stops, reading the journal every `pollMs`.
   */
  #finishedElsewhere(taskId: string, pollMs: number, stop: AbortSignal): Promise<void> {
    const { journal, clock } = this.#options;
    const intake = this.#intake.signal;
    return (async () => {
      for (;;) {
        const record = await journal.get(taskId);
        if (record === undefined || isFinished(record.status)) return;
        if (stop.aborted || intake.aborted) return;
        await new Promise<void>((resolve) => {
          const timer = clock.setTimer(done, pollMs);
          function done() {
            timer.cancel();
            stop.removeEventListener("abort", done);
            intake.removeEventListener("abort", done);
            resolve();
          }
          stop.addEventListener("abort", done, { once: true });
          intake.addEventListener("abort", done, { once: true });
        });
      }
    })();
  }

  /**
   * The events of a run after its step `afterSeq`, read from the journal (see `run-events.ts`),
   * until the run ends, `signal` aborts or intake stops (shutdown).
   *
   * Throws: `RUN_NOT_FOUND` when the journal does not hold the run; `RUN_JOURNAL_*` when it
   * cannot be read for another reason than the database being out of reach (then it waits).
   */
  events(taskId: string, afterSeq: number, signal: AbortSignal): AsyncGenerator<RunEvent> {
    const { journal, clock, logger, eventsPollMs } = this.#options;
    return runEvents(
      { journal, clock, logger, pollMs: eventsPollMs ?? 200 },
      taskId,
      afterSeq,
      AbortSignal.any([signal, this.#intake.signal]),
    );
  }

  /** Shutdown's first step: every long poll answers now. */
  stopIntake(): void {
    this.#intake.abort(new KernelError(KernelErrorCode.stopping, "the kernel is stopping"));
  }

  /** A run's journalled steps, oldest first; undefined when the journal does not hold the run. */
  async steps(taskId: string): Promise<RunStep[] | undefined> {
    return (await this.#options.journal.load(taskId))?.steps;
  }

  list(): RunRecord[] {
    return this.#options.runtime.listRuns();
  }

  cancel(taskId: string, reason = "cancelled"): Promise<boolean> {
    return this.#options.runtime.cancelRun(taskId, reason);
  }

  /** Waits until every run has settled and its end is journalled. */
  settled(): Promise<void> {
    return this.#options.runtime.runs.settled();
  }
}
