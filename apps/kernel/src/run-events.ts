/**
 * A run's events, as `GET /api/runs/{taskId}/events` streams them: read from the run journal,
 * never from the memory of the process running the run. Every node of a cluster shares the
 * journal, so every node streams the same events in the same order for any run — the one it
 * holds, one another node holds, and one a node adopted after its holder died (the adopted
 * run's steps follow the dead holder's in the journal).
 *
 * The events, in order: `status` (the run's record) at the start and whenever its status or
 * its resume count changes; `step` (one journalled step with its `seq`) as each is journalled;
 * `end` (the final record) once the run finished, after its last step — the journal makes a
 * run's end durable only after its steps. A reader that stops and asks again with the last
 * `seq` it saw (`afterSeq`) continues with the next step, on this node or any other.
 *
 * While the journal cannot be read (a served database out of reach) the events pause and
 * resume when it answers again.
 */

import { type Clock, errorKindOf, KernelError, type Logger, sleepOn } from "@oxios/core";
import { isFinished, type RunRecord, type RunStep } from "@oxios/runtime";
import type { LibsqlRunJournal } from "@oxios/runtime/libsql";
import { KernelErrorCode } from "./error-codes.ts";

export type RunEvent =
  | { type: "status"; record: RunRecord }
  | { type: "step"; seq: number; step: RunStep }
  | { type: "end"; record: RunRecord };

export interface RunEventsOptions {
  journal: Pick<LibsqlRunJournal, "get" | "stepsAfter">;
  clock: Clock;
  logger: Logger;
  /** How often the journal is read while the run goes on (ms). */
  pollMs: number;
}

/** Steps read from the journal in one statement. */
const STEPS_PAGE = 500;

/** What tells a reader that the record changed: its status and how often it resumed. */
function stateOf(record: RunRecord): string {
  return `${record.status}/${record.resumes ?? 0}`;
}

/**
 * The events of run `taskId` after step `afterSeq` (0: from its first step), until the run
 * ends or `signal` aborts (then the iteration returns).
 *
 * Throws: `RUN_NOT_FOUND` when the journal does not hold the run (or stops holding it:
 * retention removed it); the journal's errors that are not of the `unavailable` kind.
 */
export async function* runEvents(
  options: RunEventsOptions,
  taskId: string,
  afterSeq: number,
  signal: AbortSignal,
): AsyncGenerator<RunEvent> {
  const { journal, clock, logger, pollMs } = options;
  let last = afterSeq;
  let state: string | undefined;
  while (!signal.aborted) {
    let record: RunRecord | undefined;
    const steps: Array<{ seq: number; step: RunStep }> = [];
    try {
      // The record first: when it is finished, every step it took is already journalled.
      record = await journal.get(taskId);
      if (record !== undefined) {
        for (let after = last; ; ) {
          const page = await journal.stepsAfter(taskId, after, STEPS_PAGE);
          steps.push(...page);
          if (page.length < STEPS_PAGE) break;
          after = (page[page.length - 1] as { seq: number }).seq;
        }
      }
    } catch (error) {
      const coded = KernelError.from(error);
      if (errorKindOf(coded.code) !== "unavailable") throw coded;
      logger.debug("a run's events wait for the journal", { taskId, error: coded.message });
      await pause(clock, pollMs, signal);
      continue;
    }
    if (record === undefined) {
      throw new KernelError(KernelErrorCode.runNotFound, `no run ${taskId} in the journal`, { details: { taskId } });
    }
    const finished = isFinished(record.status);
    if (!finished && stateOf(record) !== state) {
      state = stateOf(record);
      yield { type: "status", record };
    }
    for (const item of steps) {
      last = item.seq;
      yield { type: "step", seq: item.seq, step: item.step };
    }
    if (finished) {
      yield { type: "end", record };
      return;
    }
    await pause(clock, pollMs, signal);
  }
}

/** Waits `ms`, or until `signal` aborts (then the loop above sees it and returns). */
async function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleepOn(clock, ms, signal);
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
