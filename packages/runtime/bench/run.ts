// Kernel overhead and parallelism, measured against the fake OpenAI-compatible server on
// 127.0.0.1 in one process, through the real kernel path (`runGoal`: Supervisor.spawn →
// Supervisor.run → Scheduler.run admission → a gated tools session → the AgentLoop):
// 1. per direct run with a zero-latency model, beside a bare AI SDK streamText call to the
//    same server — the difference is what the kernel adds (p50, p95); the bare AgentLoop is
//    measured in the same rounds to show where the overhead lives.
// 2. N = 20 concurrent direct runs at 200 ms model latency, maxConcurrent 20: total wall
//    time ÷ one run's time (goal ≤ 1.5×; a kernel that serialises runs would be ~20×).
import { fileURLToPath } from "node:url";
import { systemClock } from "@oxios/core";
import { median, percentile, writeBenchResults } from "@oxios/tooling/bench";
import { streamText } from "ai";
import { openWorld } from "../src/__fixtures__/kernel-world.ts";
import { AgentLoop, CircuitBreakers, resolveModel, TokenBudgets } from "../src/index.ts";
import { FakeLlmServer } from "../src/testing/index.ts";

function loopFor(server: FakeLlmServer): AgentLoop {
  return new AgentLoop({
    model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
    clock: systemClock,
    breakers: new CircuitBreakers({ clock: systemClock }),
    budgets: new TokenBudgets({ defaultLimit: Number.POSITIVE_INFINITY }),
    publisher: { publish: () => ({ delivered: 0, dropped: 0 }) },
  });
}

async function time(body: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await body();
  return performance.now() - started;
}

// 1. Overhead per run, round-robin.
const fast = await FakeLlmServer.start({ script: () => ({ text: "a short answer from the model" }) });
const fastWorld = await openWorld({ model: resolveModel("openai-compatible/fake", { baseUrl: fast.baseUrl }) });
const fastLoop = loopFor(fast);
const bareModel = resolveModel("openai-compatible/fake", { baseUrl: fast.baseUrl }).model;
const bare = async (): Promise<void> => {
  const result = streamText({ model: bareModel, prompt: "goal", maxRetries: 0 });
  for await (const _ of result.textStream);
};
const direct = async (): Promise<void> => {
  const record = await fastWorld.runtime.runGoal({ goal: "goal" }).result;
  if (record.status !== "completed") throw new Error(`bench run ${record.status}: ${record.error?.message}`);
};
const loopRun = (index: number) => fastLoop.run({ agentId: `bench-${index % 50}`, seed: { goal: "goal" } });
for (let index = 0; index < 50; index++) {
  await bare();
  await direct();
  await loopRun(index);
}
const ours: number[] = [];
const baseline: number[] = [];
const loopOnly: number[] = [];
for (let index = 0; index < 400; index++) {
  baseline.push(await time(bare));
  ours.push(await time(direct));
  loopOnly.push(await time(() => loopRun(index)));
}
await fastWorld.close();
await fast.close();

// 2. Parallel speedup through runGoal.
const slow = await FakeLlmServer.start({ latencyMs: 200, script: () => ({ text: "done" }) });
const slowWorld = await openWorld({
  model: resolveModel("openai-compatible/fake", { baseUrl: slow.baseUrl }),
  maxConcurrent: 20,
});
const runOne = async (goal: string): Promise<void> => {
  const record = await slowWorld.runtime.runGoal({ goal }).result;
  if (record.status !== "completed") throw new Error(`bench run ${record.status}: ${record.error?.message}`);
};
const single: number[] = [];
const parallel: number[] = [];
let maxInFlight = 0;
for (let round = 0; round < 5; round++) {
  single.push(await time(() => runOne("one run")));
  slow.resetCounters();
  parallel.push(await time(() => Promise.all(Array.from({ length: 20 }, (_, index) => runOne(`g${index}`)))));
  maxInFlight = Math.max(maxInFlight, slow.maxInFlight);
}
await slowWorld.close();
await slow.close();

const p50 = median(ours);
const p95 = percentile(ours, 95);
const base50 = median(baseline);
const base95 = percentile(baseline, 95);
writeBenchResults(fileURLToPath(new URL("..", import.meta.url)), [
  {
    name: "direct run (runGoal), zero-latency model, p50",
    ours: p50,
    baseline: base50,
    baselineName: "bare AI SDK streamText to the same server",
    unit: "ms",
    better: "lower",
    notes: `kernel overhead p50 ${(p50 - base50).toFixed(3)} ms (AgentLoop alone p50 ${median(loopOnly).toFixed(3)} ms)`,
  },
  {
    name: "direct run (runGoal), zero-latency model, p95",
    ours: p95,
    baseline: base95,
    baselineName: "bare AI SDK streamText to the same server",
    unit: "ms",
    better: "lower",
    notes: `kernel overhead p95 ${(p95 - base95).toFixed(3)} ms (AgentLoop alone p95 ${percentile(loopOnly, 95).toFixed(3)} ms)`,
  },
  {
    name: "20 concurrent direct runs at 200 ms model latency, maxConcurrent 20, total",
    ours: median(parallel),
    baseline: median(single),
    baselineName: "one run at 200 ms model latency",
    unit: "ms",
    better: "lower",
    goal: { atMost: 1.5 },
    notes: `max requests in flight ${maxInFlight}; a serialised kernel would be ~20×`,
  },
]);
