/**
 * Cancellation helpers over the web-standard AbortSignal. An abort reason is always turned
 * into a KernelError with code `ABORTED` or `TIMED_OUT` before it reaches a caller.
 */

import type { Clock, Timer } from "./clock.ts";
import { CoreErrorCode } from "./error-codes.ts";
import { KernelError } from "./errors.ts";

/** The KernelError that describes why `signal` aborted. */
export function abortError(signal: AbortSignal): KernelError {
  const reason: unknown = signal.reason;
  if (KernelError.isInstance(reason)) return reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return new KernelError(CoreErrorCode.timedOut, reason.message || "operation timed out", { cause: reason });
  }
  const message = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "operation aborted";
  return new KernelError(CoreErrorCode.aborted, message, { cause: reason });
}

/** Throws the signal's KernelError (`ABORTED` / `TIMED_OUT`) if it has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** An AbortSignal that aborts when any of `signals` aborts, with that signal's reason. */
export function anySignal(signals: ReadonlyArray<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length === 1) return present[0] as AbortSignal;
  return AbortSignal.any(present);
}

/** A signal that aborts with `TIMED_OUT` after `ms` on `clock`; `cancel()` stops the timer. */
export interface TimeoutSignal {
  readonly signal: AbortSignal;
  cancel(): void;
}

export function timeoutSignal(clock: Clock, ms: number, message = `timed out after ${ms} ms`): TimeoutSignal {
  const controller = new AbortController();
  const timer: Timer = clock.setTimer(() => {
    controller.abort(new KernelError(CoreErrorCode.timedOut, message, { details: { timeoutMs: ms } }));
  }, ms);
  return { signal: controller.signal, cancel: () => timer.cancel() };
}
