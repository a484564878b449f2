/**
 * The Embedder port: turns texts into dense vectors. The store calls it in batches, caches
 * results by (embedder id, content hash), and bounds every call with a timeout on its Clock,
 * so a query that arrives while a model is still loading waits, but not forever.
 */

import { type Clock, CoreErrorCode, KernelError, timeoutSignal } from "@oxios/core";
import { MemoryErrorCode } from "./error-codes.ts";

export interface Embedder {
  /** Stable model id; stored with the vectors, and a change triggers a re-embed. */
  readonly id: string;
  readonly dimensions: number;
  /** One vector per text, in order. Should stop early when `signal` aborts. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/**
 * Calls `embedder.embed` and rejects with `MEMORY_EMBEDDER_TIMEOUT` if it takes longer than
 * `timeoutMs` on `clock` (the embedder may ignore its signal, so the call is raced). Checks
 * the shape of what comes back.
 */
export async function embedWithin(
  embedder: Embedder,
  texts: readonly string[],
  options: { clock: Clock; timeoutMs: number; signal?: AbortSignal; onLateFailure: (error: unknown) => void },
): Promise<Float32Array[]> {
  if (texts.length === 0) return [];
  const timeout = timeoutSignal(options.clock, options.timeoutMs, `embedder ${embedder.id} timed out`);
  const signal = options.signal === undefined ? timeout.signal : AbortSignal.any([timeout.signal, options.signal]);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      const reason: unknown = signal.reason;
      if (KernelError.hasCode(reason, CoreErrorCode.timedOut)) {
        reject(
          new KernelError(
            MemoryErrorCode.embedderTimeout,
            `embedder ${embedder.id} produced no vectors within ${options.timeoutMs} ms`,
            { cause: reason, details: { embedder: embedder.id, timeoutMs: options.timeoutMs } },
          ),
        );
      } else reject(KernelError.from(reason, CoreErrorCode.aborted));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  const work = embedder.embed(texts, signal);
  try {
    const vectors = await Promise.race([work, aborted]);
    if (vectors.length !== texts.length || vectors.some((vector) => vector.length !== embedder.dimensions)) {
      throw new KernelError(
        MemoryErrorCode.embeddingFailed,
        `embedder ${embedder.id} returned ${vectors.length} vectors for ${texts.length} texts or a wrong dimension`,
      );
    }
    return vectors;
  } catch (error) {
    // The race was lost: the embed call may still settle later; its failure is logged, not lost.
    work.then(undefined, options.onLateFailure);
    if (KernelError.isInstance(error)) throw error;
    throw new KernelError(MemoryErrorCode.embeddingFailed, `embedder ${embedder.id} failed`, { cause: error });
  } finally {
    timeout.cancel();
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    // The `aborted` promise never settles once the timer is cancelled; mark it handled.
    aborted.then(undefined, () => undefined);
  }
}
