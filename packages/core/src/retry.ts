/**
 * Retries with exponential backoff on the injected Clock: the delay before retry n (0-based)
 * is `baseDelayMs · 2ⁿ`, capped at `maxDelayMs`. Aborting the signal ends a wait at once.
 */

import type { Clock } from "./clock.ts";

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries?: number;
  /** Delay before the first retry. */
  baseDelayMs?: number;
  /** Cap of the delay. */
  maxDelayMs?: number;
}

export interface RetryOptions {
  clock: Clock;
  policy?: RetryPolicy;
  /** Used where `policy` leaves a field out. */
  defaults: Required<RetryPolicy>;
  signal?: AbortSignal;
  shouldRetry: (error: unknown) => boolean;
  /** Told about each retry before its backoff (for logs). */
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
}

/** The delay before retry number `retry` (0-based). */
export function backoffDelay(retry: number, policy: Required<RetryPolicy>): number {
  return Math.min(policy.baseDelayMs * 2 ** retry, policy.maxDelayMs);
}

/** Runs `attempt` until it succeeds, `shouldRetry` says no, or the retries are used up. */
export async function withRetry<T>(attempt: (index: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy: Required<RetryPolicy> = { ...options.defaults, ...definedOnly(options.policy) };
  for (let index = 0; ; index++) {
    try {
      return await attempt(index);
    } catch (error) {
      if (index >= policy.maxRetries || options.signal?.aborted || !options.shouldRetry(error)) throw error;
      const delayMs = backoffDelay(index, policy);
      options.onRetry?.(error, index + 1, delayMs);
      await options.clock.sleep(delayMs, options.signal);
    }
  }
}

function definedOnly(policy: RetryPolicy | undefined): RetryPolicy {
  return Object.fromEntries(Object.entries(policy ?? {}).filter(([, value]) => value !== undefined));
}
