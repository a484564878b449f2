// One node of the cluster bench's queue row: the kernel's durable queue and cluster admission
// without the agent runtime — a `LibsqlTaskStore` on sqld (group commit), a `Scheduler` whose
// admission hook asks the `ClusterNode`, and the node itself (heartbeat, `admitNext` polls).
// Each task is a no-op: `scheduler.run(spec, async () => undefined)`. Its life is the one every
// run's task has — queued row written, admitted through `admitBatch` (one conditional UPDATE
// fills the node's free slots under the global cap), completed row written — with nothing run
// in between.
// argv: sqld URL, node id, tasks to submit, global concurrency.
import { createLogger, systemClock } from "@oxios/core";
import { openDatabase } from "@oxios/database";
import { EventBus } from "@oxios/event-bus";
import { Scheduler } from "@oxios/scheduler";
import { LibsqlTaskStore } from "@oxios/scheduler/libsql";
import { ClusterNode } from "../src/cluster.ts";
import { SUBMIT_CHUNK as CHUNK, completionReporter, fail, onBench, type QueueWorkerMessage } from "./queue-protocol.ts";

const [url, node, tasksText, concurrencyText] = process.argv.slice(2) as [string, string, string, string];
const tasks = Number(tasksText);
const concurrency = Number(concurrencyText);
const LEASE_MS = 30_000;

// Each distinct warning or error is printed once; how often each came is printed at the stop.
const seen = new Map<string, number>();
const logger = createLogger({
  level: "warn",
  write: (record) => {
    const error = (record.fields.error ?? {}) as { code?: string; message?: string };
    const key = `${record.level} ${record.message} ${error.code ?? ""} ${error.message ?? ""}`;
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (count === 1) console.error(`[${node}] ${record.level} ${record.message} ${JSON.stringify(record.fields)}`);
  },
});
const clock = systemClock;
const database = await openDatabase({ url, logger, synchronous: "normal" });
const taskStore = await LibsqlTaskStore.open({ database, logger, cluster: { node, leaseMs: LEASE_MS } });
const bus = new EventBus({ logger, now: () => clock.now(), source: "bench" });
let cluster: ClusterNode | undefined;
const scheduler = new Scheduler({
  clock,
  events: bus,
  logger,
  store: taskStore,
  ownerId: node,
  maxConcurrent: concurrency,
  ratePerMinute: Number.POSITIVE_INFINITY,
  waitForGrant: true,
});
cluster = new ClusterNode({
  id: node,
  url: `http://127.0.0.1/${node}`,
  database,
  taskStore,
  scheduler,
  bus,
  clock,
  logger,
  maxConcurrent: concurrency,
  // Like BullMQ's side: one global concurrency, no per-profile caps, no rate limit.
  limits: () => ({}),
  leaseMs: LEASE_MS,
  maxAttempts: 1,
  resume: async () => undefined,
  conclude: async () => undefined,
  // No journal: a task's end is what the task store holds.
  journalledEnd: async () => undefined,
});
cluster.start();

const reporter = completionReporter();
let done = 0;
let stopping = false;
let dropped = 0;
const noop = async (): Promise<undefined> => undefined;

onBench({
  go() {
    // In chunks (queue-protocol.ts says why), one per turn of the event loop: each chunk's
    // rows go to sqld in one group commit.
    const submitFrom = (start: number): void => {
      for (let index = start; index < Math.min(tasks, start + CHUNK); index++) {
        scheduler.run({ payload: { index } }, noop).then(
          async () => {
            done++;
            if (done < tasks) return reporter.add();
            // The last one: what the node completed is committed before it says so.
            await taskStore.flush();
            process.send?.({ kind: "completed", count: done } satisfies QueueWorkerMessage);
          },
          (error: unknown) => {
            // The stop drains the scheduler: tasks still queued then end with SCHEDULER_DRAINING.
            if (stopping) dropped++;
            else fail(error);
          },
        );
      }
      if (stopping) return;
      if (start + CHUNK < tasks) setImmediate(() => submitFrom(start + CHUNK));
    };
    submitFrom(0);
  },
  async stop() {
    stopping = true;
    for (const [key, count] of seen) if (count > 1) console.error(`[${node}] ${count}× ${key}`);
    cluster?.stopAdmitting();
    await scheduler.drain({ timeoutMs: 10_000 });
    await cluster?.leave();
    await taskStore.close();
    database.close();
    if (dropped > 0) console.error(`[${node}] ${dropped} tasks still queued at the stop were dropped`);
  },
});
process.send?.({ kind: "ready" } satisfies QueueWorkerMessage);
