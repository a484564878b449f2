// The messages between the cluster bench (bench/cluster.ts) and one queue worker process
// (bench/queue-node-oxios.ts or bench/queue-node-bullmq.ts): the worker says it is ready, the
// bench says go, the worker submits its share of the no-op tasks and reports the tasks it has
// completed (its own count), then stops when told to.

/**
 * Tasks a worker submits per turn of the event loop (ours) or per `addBulk` (BullMQ). Each of
 * our chunks is one group commit on sqld, sent as one request (`Database.batch`). With chunks
 * of 100, when a group commit was still an interactive transaction of one HTTP round trip per
 * statement, those transactions held sqld's write lock for seconds on a loaded two-core
 * machine and the other nodes' `BEGIN IMMEDIATE` failed with SQLITE_BUSY; 10 on both sides
 * keeps the two contenders' submissions alike.
 */
export const SUBMIT_CHUNK = 10;

export type QueueWorkerMessage =
  | { kind: "ready" }
  | { kind: "completed"; count: number }
  | { kind: "failed"; message: string }
  | { kind: "stopped" };

export type QueueBenchMessage = { kind: "go" } | { kind: "stop" };

/**
 * Sends the worker's completed count at most once per event-loop turn (one IPC message for a
 * burst of completions), and at once when `final`.
 */
export function completionReporter(): { add(): void } {
  let count = 0;
  let armed = false;
  return {
    add() {
      count++;
      if (armed) return;
      armed = true;
      setImmediate(() => {
        armed = false;
        // After the bench's stop the channel may be closed: a late count has nobody to go to.
        if (process.connected) process.send?.({ kind: "completed", count } satisfies QueueWorkerMessage);
      });
    },
  };
}

/** Calls `onGo` on the bench's go and `onStop` on its stop, then disconnects. */
export function onBench(handlers: { go: () => void; stop: () => Promise<void> }): void {
  process.on("message", (message: QueueBenchMessage) => {
    if (message.kind === "go") handlers.go();
    else
      handlers.stop().then(
        () => {
          process.send?.({ kind: "stopped" } satisfies QueueWorkerMessage);
          process.disconnect();
        },
        (error: unknown) => fail(error),
      );
  });
}

let failed = false;

/** Reports the worker's first failure to the bench and disconnects; later ones are left out. */
export function fail(error: unknown): void {
  process.exitCode = 1;
  if (failed) return;
  failed = true;
  if (!process.connected) {
    console.error(error);
    return;
  }
  process.send?.({ kind: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.disconnect();
}
