// 100,000 no-op tasks through submit → admit → complete at concurrency 16 with mixed
// priorities: our Scheduler.run (rate limit and aging on, rate high enough not to throttle)
// beside p-queue's add with the same concurrency and priorities, round-robin in one process.
// Then the durable queue: tasks/s through a libsql file store with and without group commit.
// Then a cluster node's admission: every task queued at once, the cluster granting them in
// queue order as slots free — `waitForGrant` + `grant` against the same grants told through a
// `canAdmit` hook, which admission asks about every queued task on every round.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compareOpsPerSecond, writeBenchResults } from "@oxios/tooling/bench";
import PQueue from "p-queue";
import { Scheduler } from "../src/index.ts";
import { LibsqlTaskStore } from "../src/libsql/index.ts";

const priorities = ["low", "normal", "high", "critical"] as const;
const noop = async (): Promise<void> => undefined;
const concurrency = 16;

const memory = await compareOpsPerSecond(
  {
    scheduler: async (count) => {
      const scheduler = new Scheduler({ maxConcurrent: concurrency, ratePerMinute: 1e9, agingMs: 60_000 });
      const runs: Array<Promise<void>> = new Array(count);
      for (let index = 0; index < count; index++)
        runs[index] = scheduler.run({ priority: priorities[index & 3] }, noop);
      await Promise.all(runs);
      if (scheduler.stats().completed !== count) throw new Error("scheduler lost tasks");
    },
    pQueue: async (count) => {
      const queue = new PQueue({ concurrency });
      const runs: Array<Promise<void>> = new Array(count);
      for (let index = 0; index < count; index++) runs[index] = queue.add(noop, { priority: index & 3 });
      await Promise.all(runs);
    },
  },
  { iterations: 100_000, rounds: 7 },
);

const directory = mkdtempSync(join(tmpdir(), "oxios-scheduler-bench-"));
let databases = 0;
async function durable(count: number, groupCommit: boolean): Promise<void> {
  const store = await LibsqlTaskStore.open({ url: `file:${join(directory, `queue-${databases++}.db`)}`, groupCommit });
  const scheduler = new Scheduler({ store, maxConcurrent: concurrency, ratePerMinute: 1e9 });
  const runs: Array<Promise<void>> = new Array(count);
  for (let index = 0; index < count; index++) runs[index] = scheduler.run({ priority: priorities[index & 3] }, noop);
  await Promise.all(runs);
  await store.close();
}
const stored = await compareOpsPerSecond(
  { grouped: (count) => durable(count, true), single: (count) => durable(count, false) },
  { iterations: 5_000, rounds: 3 },
);
rmSync(directory, { recursive: true, force: true });

async function granting(count: number, waitForGrant: boolean): Promise<void> {
  const grants = new Set<string>();
  const scheduler = new Scheduler({
    maxConcurrent: concurrency,
    ratePerMinute: Number.POSITIVE_INFINITY,
    ...(waitForGrant ? { waitForGrant: true } : { canAdmit: (task) => grants.has(task.id) }),
  });
  const ids = Array.from({ length: count }, (_, index) => `t${index}`);
  const runs = ids.map((id) => scheduler.run({ id }, noop));
  for (let start = 0; start < count; start += concurrency) {
    for (const id of ids.slice(start, start + concurrency)) {
      if (waitForGrant) scheduler.grant(id);
      else {
        grants.add(id);
        scheduler.reconsider();
      }
    }
    await Promise.all(runs.slice(start, start + concurrency));
  }
  if (scheduler.stats().completed !== count) throw new Error("scheduler lost tasks");
}
const grants = await compareOpsPerSecond(
  { grant: (count) => granting(count, true), hook: (count) => granting(count, false) },
  { iterations: 3_000, rounds: 3 },
);

writeBenchResults(fileURLToPath(new URL("..", import.meta.url)), [
  {
    name: "100k no-op tasks, concurrency 16, mixed priorities (run: submit → admit → complete)",
    ours: memory.scheduler ?? Number.NaN,
    baseline: memory.pQueue ?? Number.NaN,
    baselineName: "p-queue@9 add",
    unit: "tasks/s",
    better: "higher",
    goal: { atLeast: 1 },
    notes: "ours with the rate limit (1e9/min) and aging (60 s) on",
  },
  {
    name: "durable queue (libsql file, WAL), group commit vs a transaction per write",
    ours: stored.grouped ?? Number.NaN,
    baseline: stored.single ?? Number.NaN,
    baselineName: "same store, groupCommit: false",
    unit: "tasks/s",
    better: "higher",
  },
  {
    name: "cluster node: 3,000 tasks queued at once, granted in order as slots free, concurrency 16",
    ours: grants.grant ?? Number.NaN,
    baseline: grants.hook ?? Number.NaN,
    baselineName: "the same grants through a canAdmit hook",
    unit: "tasks/s",
    better: "higher",
  },
]);
