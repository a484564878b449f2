// Uncontended acquire/release pairs per second: our Mutex (order check on and off) beside
// async-mutex's Mutex, measured round-robin in one process.
import { fileURLToPath } from "node:url";
import { compareOpsPerSecond, writeBenchResults } from "@oxios/tooling/bench";
import { Mutex as AsyncMutex } from "async-mutex";
import { configureLockOrder, LockRegistry } from "../src/index.ts";

const locks = new LockRegistry({ "bench.lock": 10 });
const ours = locks.mutex("bench.lock");
const theirs = new AsyncMutex();
const iterations = 200_000;

async function oursPairs(count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    const guard = await ours.acquire();
    guard.release();
  }
}

const rates = await compareOpsPerSecond(
  {
    checksOn: async (count) => {
      configureLockOrder({ check: true });
      await oursPairs(count);
    },
    checksOff: async (count) => {
      configureLockOrder({ check: false });
      await oursPairs(count);
    },
    withLockChecksOn: async (count) => {
      configureLockOrder({ check: true });
      for (let index = 0; index < count; index++) await ours.withLock(() => undefined);
    },
    asyncMutex: async (count) => {
      for (let index = 0; index < count; index++) {
        const release = await theirs.acquire();
        release();
      }
    },
    asyncMutexRunExclusive: async (count) => {
      for (let index = 0; index < count; index++) await theirs.runExclusive(() => undefined);
    },
  },
  { iterations, rounds: 7 },
);
configureLockOrder({ check: true });

const baseline = rates.asyncMutex ?? Number.NaN;
writeBenchResults(fileURLToPath(new URL("..", import.meta.url)), [
  {
    name: "mutex acquire+release, order check off",
    ours: rates.checksOff ?? Number.NaN,
    baseline,
    baselineName: "async-mutex acquire+release",
    unit: "pairs/s",
    better: "higher",
    goal: { atLeast: 1 },
  },
  {
    name: "mutex acquire+release, order check on",
    ours: rates.checksOn ?? Number.NaN,
    baseline,
    baselineName: "async-mutex acquire+release",
    unit: "pairs/s",
    better: "higher",
    goal: { atLeast: 0.5 },
  },
  {
    name: "mutex withLock (tracked flow), order check on",
    ours: rates.withLockChecksOn ?? Number.NaN,
    baseline: rates.asyncMutexRunExclusive ?? Number.NaN,
    baselineName: "async-mutex runExclusive",
    unit: "calls/s",
    better: "higher",
  },
]);
