/** Retry with exponential backoff on the injected Clock: delay `base·2ⁿ` capped at `max`. */

import type { Clock } from "@oxios/core";

export interface RetryPolicy {
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** Delay before the first retry. Default 100 ms. */
  baseDelayMs?: number;
  /** Cap of the delay. Default 5 s. */
  maxDelayMs?: number;
}

/** The delay before retry number `retry` (0-based). */
export function backoffDelay(retry: number, policy: RetryPolicy = {}): number {
  return Math.min((policy.baseDelayMs ?? 100) * 2 ** retry, policy.maxDelayMs ?? 5_000);
}

/**
 * Runs `attempt` until it succeeds, `shouldRetry` says no, or the retries are used up; the
 * last error is thrown. Sleeps on `clock` and stops at once when `signal` aborts.
 */
export async function withRetry<T>(
  attempt: (index: number) => Promise<T>,
  options: { clock: Clock; policy?: RetryPolicy; signal?: AbortSignal; shouldRetry: (error: unknown) => boolean },
): Promise<T> {
  const retries = options.policy?.retries ?? 3;
  for (let index = 0; ; index++) {
    try {
      return await attempt(index);
    } catch (error) {
      if (index >= retries || options.signal?.aborted || !options.shouldRetry(error)) throw error;
      await options.clock.sleep(backoffDelay(index, options.policy), options.signal);
    }
  }
}
