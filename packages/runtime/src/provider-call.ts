/**
 * One guarded model call: the provider's circuit breaker around every attempt, and retries
 * with exponential backoff on retryable failures, waiting on the injected Clock so tests
 * drive the backoff with a ManualClock. The caller's AbortSignal cancels a wait at once.
 */

import { type CircuitBreaker, type Clock, CoreErrorCode, KernelError, type RetryPolicy, withRetry } from "@oxios/core";
import { RuntimeErrorCode } from "./error-codes.ts";
import { isRetryableProviderError, toProviderError } from "./provider-errors.ts";

export type { RetryPolicy };

/** Model calls: 2 retries, backoff from 500 ms doubling, capped at 8 s. */
export const PROVIDER_RETRY_DEFAULTS: Required<RetryPolicy> = { maxRetries: 2, baseDelayMs: 500, maxDelayMs: 8_000 };

export interface ProviderCallOptions {
  provider: string;
  breaker: CircuitBreaker;
  clock: Clock;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  /** Told about each retry before its backoff (for logs). */
  onRetry?: (error: KernelError, attempt: number, delayMs: number) => void;
}

export function callProvider<T>(attempt: () => Promise<T>, options: ProviderCallOptions): Promise<T> {
  return withRetry(
    async () => {
      try {
        return await options.breaker.run(
          async () => {
            try {
              return await attempt();
            } catch (error) {
              throw toProviderError(error, options.provider, options.signal);
            }
          },
          // A call its caller stopped says nothing about the provider, whatever the stop's reason
          // (a run interrupted because its lease went elsewhere carries TASK_INTERRUPTED).
          (error) =>
            !(
              options.signal?.aborted === true ||
              KernelError.hasCode(error, CoreErrorCode.aborted) ||
              KernelError.hasCode(error, CoreErrorCode.timedOut)
            ),
        );
      } catch (error) {
        throw KernelError.from(error, RuntimeErrorCode.providerFailed);
      }
    },
    {
      clock: options.clock,
      defaults: PROVIDER_RETRY_DEFAULTS,
      ...(options.retry === undefined ? {} : { policy: options.retry }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      shouldRetry: (error) => isRetryableProviderError(KernelError.from(error, RuntimeErrorCode.providerFailed)),
      ...(options.onRetry === undefined
        ? {}
        : { onRetry: (error, retry, delayMs) => options.onRetry?.(KernelError.from(error), retry, delayMs) }),
    },
  );
}
