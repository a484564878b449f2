/**
 * Something loaded at its first use rather than at boot (an SDK, a provider module): every
 * call until the load settles shares that one load; a load that fails rejects those calls
 * with the KernelError `failed` makes of its cause, and the next call loads again; a load that
 * succeeds is kept for every later call.
 */
import type { KernelError } from "./errors.ts";

export function loadOnce<T>(load: () => Promise<T>, failed: (cause: unknown) => KernelError): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((cause: unknown) => {
      loading = undefined;
      throw failed(cause);
    });
    return loading;
  };
}
