/**
 * Holds every caller until `count` callers have arrived (or `timeoutMs` passed), so a
 * parallelism test proves N requests were in flight at once no matter how slowly a loaded
 * machine starts them. On timeout it opens anyway and the test's in-flight assertion fails.
 */
export function arrivalBarrier(count: number, timeoutMs = 10_000): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const timer = setTimeout(open, timeoutMs);
  void opened.then(() => clearTimeout(timer));
  return async () => {
    arrived += 1;
    if (arrived >= count) open();
    await opened;
  };
}
