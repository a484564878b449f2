/**
 * The Clock port. Everything in the kernel that waits, times out, rate-limits, decays or
 * leases takes a Clock, so tests drive time with `ManualClock` (on `@oxios/core/testing`)
 * instead of sleeping.
 */

import { abortError } from "./signals.ts";

/** A scheduled callback; `cancel()` is idempotent. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds. */
  setTimer(callback: () => void, ms: number): Timer;
  /**
   * Resolves after `ms` milliseconds; rejects with the signal's KernelError (`ABORTED` or
   * `TIMED_OUT`) as soon as `signal` aborts, cancelling the timer.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Shared `sleep` built on a clock's `setTimer`, so every Clock aborts the same way.
 *
 * Throws: nothing but the abort below.
 * Abort: rejects with the signal's KernelError (`ABORTED`, `TIMED_OUT`, or the reason itself
 * when it is a KernelError) and cancels the timer; an already-aborted signal rejects at once.
 */
export function sleepOn(clock: Pick<Clock, "setTimer">, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(abortError(signal as AbortSignal));
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The real clock: `Date.now()` and the platform's `setTimeout`. `now` and `setTimer` throw
 * nothing and take no signal; `sleep` fails only by its signal, exactly as `sleepOn`.
 */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(callback: () => void, ms: number): Timer {
    const handle = setTimeout(callback, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

/** One shared SystemClock; it holds no state. */
export const systemClock: Clock = new SystemClock();
