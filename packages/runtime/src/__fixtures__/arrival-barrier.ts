/**
 * Holds every caller until `count` callers have arrived, so a parallelism test proves N
 * requests were in flight at once no matter how slowly a loaded machine starts them. It waits
 * for the arrivals themselves, with no clock: a kernel that never has N requests in flight at
 * once leaves them held, and the test fails on its own timeout.
 */
export function arrivalBarrier(count: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return async () => {
    arrived += 1;
    if (arrived >= count) open();
    await opened;
  };
}
