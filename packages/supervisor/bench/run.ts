// Supervisor overhead: spawn → run → exit of trivial agents (agents/s) and kill-to-settled
// latency for agents blocked on an awaited promise, each beside the same work written as bare
// Promise + AbortController code with no supervisor, in one process.
import { fileURLToPath } from "node:url";
import { createLogger } from "@oxios/core";
import { Scheduler } from "@oxios/scheduler";
import { compareOpsPerSecond, percentile, writeBenchResults } from "@oxios/tooling/bench";
import type { AgentContext } from "../src/index.ts";
import { Supervisor } from "../src/index.ts";

const logger = createLogger({ level: "error", write: (record) => console.error(record.message) });

function blockedUntilAborted(_input: unknown, context: AgentContext): Promise<void> {
  return new Promise((_resolve, reject) => {
    context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true });
  });
}

/** Runs `count` jobs with `width` of them in flight at a time, like a kernel at concurrency 16. */
async function pool(count: number, width: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

const rates = await compareOpsPerSecond(
  {
    supervisor: async (count) => {
      const scheduler = new Scheduler({ maxConcurrent: 16, ratePerMinute: 1e12, logger });
      const supervisor = new Supervisor({ scheduler, logger });
      await pool(count, 16, async (index) => {
        const agent = supervisor.spawn({ name: "trivial", run: async (input: number) => input + 1 });
        await supervisor.run(agent.id, index);
        await supervisor.kill(agent.id, "exit");
      });
    },
    bare: async (count) => {
      await pool(count, 16, async (index) => {
        const controller = new AbortController();
        const work = async (input: number, signal: AbortSignal) => {
          signal.throwIfAborted();
          return input + 1;
        };
        await work(index, controller.signal);
        controller.abort();
      });
    },
  },
  { iterations: 10_000, rounds: 5 },
);

async function killLatencies(samples: number, useSupervisor: boolean): Promise<number[]> {
  const latencies: number[] = [];
  const scheduler = new Scheduler({ maxConcurrent: 16, ratePerMinute: 1e12, logger });
  const supervisor = new Supervisor({ scheduler, logger });
  for (let index = 0; index < samples; index++) {
    if (useSupervisor) {
      const agent = supervisor.spawn({ name: "blocked", run: blockedUntilAborted });
      const running = supervisor.run(agent.id, null).catch(() => "killed");
      await new Promise((resolve) => setImmediate(resolve));
      const started = performance.now();
      await supervisor.kill(agent.id, "bench");
      await running;
      latencies.push(performance.now() - started);
    } else {
      const controller = new AbortController();
      const running = blockedUntilAborted(null, {
        agentId: "a",
        runId: "r",
        signal: controller.signal,
        heartbeat: () => undefined,
      }).catch(() => "killed");
      await new Promise((resolve) => setImmediate(resolve));
      const started = performance.now();
      controller.abort();
      await running;
      latencies.push(performance.now() - started);
    }
  }
  return latencies;
}

await killLatencies(200, true);
const oursKill = await killLatencies(2_000, true);
const bareKill = await killLatencies(2_000, false);

writeBenchResults(fileURLToPath(new URL("..", import.meta.url)), [
  {
    name: "spawn → run → exit, 10,000 trivial agents, 16 in flight",
    ours: rates.supervisor ?? Number.NaN,
    baseline: rates.bare ?? Number.NaN,
    baselineName: "bare Promise + AbortController",
    unit: "agents/s",
    better: "higher",
    goal: { atLeast: 0.5 },
  },
  {
    name: "kill → settled p50",
    ours: percentile(oursKill, 50),
    baseline: percentile(bareKill, 50),
    baselineName: "bare abort → settled p50",
    unit: "ms",
    better: "lower",
  },
  {
    name: "kill → settled p99 (goal ≤ 5 ms absolute)",
    ours: percentile(oursKill, 99),
    baseline: percentile(bareKill, 99),
    baselineName: "bare abort → settled p99",
    unit: "ms",
    better: "lower",
    notes: `absolute p99 ${percentile(oursKill, 99).toFixed(3)} ms; goal ≤ 5 ms ${percentile(oursKill, 99) <= 5 ? "met" : "MISSED"}`,
  },
]);
