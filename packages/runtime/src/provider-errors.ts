/**
 * Translates what an AI SDK provider throws into KernelErrors with stable codes, and says
 * which of them are worth retrying (429, 408/409, 5xx, network failures).
 */

import { APICallError } from "@ai-sdk/provider";
import { abortError, KernelError } from "@oxios/core";
import { RuntimeErrorCode } from "./error-codes.ts";

export function isRetryableProviderError(error: unknown): boolean {
  return KernelError.isInstance(error) && error.details?.retryable === true;
}

/** The KernelError for a provider failure; an abort of `signal` wins over anything else. */
export function toProviderError(error: unknown, provider: string, signal?: AbortSignal): KernelError {
  if (signal?.aborted) return abortError(signal);
  if (KernelError.isInstance(error)) return error;
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const retryable = error.isRetryable || status === undefined || status === 429 || status >= 500;
    const code =
      status === 401 || status === 403
        ? RuntimeErrorCode.providerAuthFailed
        : status === 429
          ? RuntimeErrorCode.providerRateLimited
          : status === undefined
            ? RuntimeErrorCode.providerUnreachable
            : status >= 500
              ? RuntimeErrorCode.providerUnavailable
              : RuntimeErrorCode.providerRequestFailed;
    return new KernelError(code, `${provider}: ${error.message}`, {
      cause: error,
      details: { provider, status, retryable },
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const network = error instanceof TypeError || /ECONNREFUSED|ECONNRESET|socket|fetch failed|terminated/i.test(message);
  return new KernelError(
    network ? RuntimeErrorCode.providerUnreachable : RuntimeErrorCode.providerFailed,
    `${provider}: ${message}`,
    {
      cause: error,
      details: { provider, retryable: network },
    },
  );
}
