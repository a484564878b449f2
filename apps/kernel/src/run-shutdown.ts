/**
 * The kernel's whole shutdown: the ShutdownSequence's steps, then a bounded join of the steps
 * that outlived their timeout. The sequence goes on past such a step (its signal aborted), but
 * the step keeps running; the process exits right after this resolves, so a flush that is
 * nearly done gets `LATE_STEPS_GRACE_MS` more to end (and its end is logged), while a hung one
 * cannot keep the process alive.
 */

import type { Logger } from "@oxios/core";
import type { ShutdownReport, ShutdownSequence } from "@oxios/daemon";

/** How long the process waits after the last step for steps still running past their timeout. */
export const LATE_STEPS_GRACE_MS = 5_000;

/**
 * Runs `shutdown` and joins its late steps for at most `graceMs`; the steps still running then
 * are logged as a warning and left to the process's exit.
 *
 * Throws: nothing of its own (the sequence records failed steps in its report).
 * Abort: takes no signal; the grace bounds the wait.
 */
export async function runShutdown(
  shutdown: ShutdownSequence,
  reason: string,
  logger: Logger,
  graceMs = LATE_STEPS_GRACE_MS,
): Promise<ShutdownReport> {
  const report = await shutdown.run(reason);
  const stillRunning = await shutdown.settled({ timeoutMs: graceMs });
  if (stillRunning.length > 0) {
    logger.warn("exiting with shutdown steps still running past their timeout", { steps: stillRunning, graceMs });
  }
  return report;
}
