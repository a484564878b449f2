/**
 * One guarded model call: the provider's circuit breaker around every attempt, and retries
 * with exponential backoff on retryable failures, waiting on the injected Clock so tests
 * drive the backoff with a ManualClock. The caller's AbortSignal cancels a wait at once.
 */

import { type Clock, KernelError } from "@oxios/core";
import type { CircuitBreaker } from "./circuit-breaker.ts";
import { isRetryableProviderError, toProviderError } from "./provider-errors.ts";

export interface RetryPolicy {
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  /** First backoff, doubled each retry. Default 500 ms. */
  baseDelayMs?: number;
  /** Backoff cap. Default 8 000 ms. */
  maxDelayMs?: number;
}

export interface ProviderCallOptions {
  provider: string;
  breaker: CircuitBreaker;
  clock: Clock;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  /** Told about each retry before its backoff (for logs). */
  onRetry?: (error: KernelError, attempt: number, delayMs: number) => void;
}

export async function callProvider<T>(attempt: () => Promise<T>, options: ProviderCallOptions): Promise<T> {
  const maxRetries = options.retry?.maxRetries ?? 2;
  const base = options.retry?.baseDelayMs ?? 500;
  const cap = options.retry?.maxDelayMs ?? 8_000;
  for (let tries = 0; ; tries++) {
    let failure: KernelError;
    try {
      return await options.breaker.run(
        async () => {
          try {
            return await attempt();
          } catch (error) {
            throw toProviderError(error, options.provider, options.signal);
          }
        },
        (error) => !(KernelError.hasCode(error, "ABORTED") || KernelError.hasCode(error, "TIMED_OUT")),
      );
    } catch (error) {
      failure = KernelError.from(error, "PROVIDER_FAILED");
    }
    if (!isRetryableProviderError(failure) || tries >= maxRetries) throw failure;
    const delayMs = Math.min(cap, base * 2 ** tries);
    options.onRetry?.(failure, tries + 1, delayMs);
    await options.clock.sleep(delayMs, options.signal);
  }
}
