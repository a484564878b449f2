/**
 * Settles as soon as `signal` aborts, whatever `work` is doing: the caller of a tool is never
 * held hostage by a tool (or a port) that is slow to notice cancellation. `work` stays owned:
 * its late outcome is observed and logged, never left as an unhandled rejection.
 */

import { abortError, type Logger } from "@oxios/core";

export function raceAbort<T>(work: Promise<T>, signal: AbortSignal, logger: Logger): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) logger.debug("tool finished after its call was aborted; result discarded");
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) logger.debug("tool settled after abort", { error });
        reject(error);
      },
    );
  });
}
