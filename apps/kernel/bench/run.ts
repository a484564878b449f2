// Kernel benchmarks, one process run (`--cli-only`: just the first):
// 0. the `oxios` command: --help, --version and status against `node -e 0`, and the RSS of a
//    thin command (bench/cli.ts);
// 1. boot to healthy (spawn → /health answers) and RSS after boot with the USE-lite embedder
//    loaded, of the built kernel on plain `node` as users start it (medians of 3 boots; goals
//    ≤ 2 s, ≤ 300 MB);
// 2. RSS growth per 1,000 idle agents (1,000 direct runs with a zero-latency fake model leave
//    1,000 idle agents; goal ≤ 20 MB);
// 3. HTTP overhead: POST /api/runs → completed (polling GET /api/runs/:id) against calling
//    runGoal in-process on a kernel booted in this process, same fake model, round-robin
//    (p50 goal ≤ 1.2×, p95 ≤ 1.5×);
// 4. hostile bodies (bench/hostile-input.ts): the longest /health answer while a 10 MB nested,
//    wide or parsed body is refused, against JSON.parse of the same body (goal ≤ 50 ms per MiB);
// 5. durable runs under load (bench/durable.ts): 1,000 concurrent POST /api/runs (ack p95,
//    /health p99, connection errors, RSS after 10 s idle), 1,000 runs at 200 ms latency and cap 8
//    against the ideal, SIGTERM under that load. `--durable-only` runs just this part.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createLogger, systemClock } from "@oxios/core";
import { ShutdownSequence } from "@oxios/daemon";
import { FakeLlmServer } from "@oxios/runtime/testing";
import { median, percentile, writeBenchResults } from "@oxios/tooling/bench";
import { startKernel, tempHome } from "../src/__fixtures__/kernel-process.ts";
import { loadConfig } from "../src/config.ts";
import { bootKernel } from "../src/kernel.ts";
import { benchCli } from "./cli.ts";
import { benchDurable } from "./durable.ts";
import { benchHostileInput } from "./hostile-input.ts";

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const packageDir = fileURLToPath(new URL("..", import.meta.url));

if (process.argv.includes("--durable-only")) {
  writeBenchResults(packageDir, await benchDurable());
  process.exit(0);
}

// 0. The command line (its kernel stopped before the rest starts).
const cliCases = await benchCli();
if (process.argv.includes("--cli-only")) {
  writeBenchResults(packageDir, cliCases);
  process.exit(0);
}

const fake = await FakeLlmServer.start({ script: () => ({ text: "done" }) });
const modelEnv = {
  OXIOS_MODEL: "openai-compatible/fake",
  OXIOS_LLM_BASE_URL: fake.baseUrl,
  OXIOS_RATE_PER_MIN: "1000000",
};

// 1. Boot to healthy and RSS with the embedder loaded.
const boots: number[] = [];
const rss: number[] = [];
for (let round = 0; round < 3; round++) {
  const started = performance.now();
  const kernel = await startKernel(tempHome(), { OXIOS_EMBEDDER: "use-lite" }, { built: true });
  boots.push(performance.now() - started);
  rss.push(rssMb(kernel.child.pid as number));
  kernel.child.kill("SIGTERM");
  await kernel.exited;
}
console.log(`boot to healthy: ${boots.map(Math.round).join(", ")} ms; RSS ${rss.map(Math.round).join(", ")} MB`);

// 2 + 3 on one kernel (hashing embedder: the figures are about agents and HTTP, not embeddings).
const kernel = await startKernel(tempHome(), {
  ...modelEnv,
  OXIOS_MAX_CONCURRENT: "16",
  OXIOS_HTTP_RATE_PER_MIN: "1000000",
});
const viaHttp = async (): Promise<void> => {
  const { taskId } = await kernel.json<{ taskId: string }>("POST", "/api/runs", { goal: "bench goal" });
  for (;;) {
    const run = await kernel.json<{ status: string }>("GET", `/api/runs/${taskId}?waitMs=30000`);
    if (run.status === "completed") return;
    if (run.status === "failed" || run.status === "cancelled") throw new Error(`run ${run.status}`);
  }
};
for (let index = 0; index < 30; index++) await viaHttp();
const rssBefore = rssMb(kernel.child.pid as number);
const batch = 50;
for (let done = 0; done < 1000; done += batch) {
  await Promise.all(Array.from({ length: batch }, () => viaHttp()));
}
const agents = (await kernel.json<{ agents: unknown[] }>("GET", "/api/agents")).agents.length;
const rssAfter = rssMb(kernel.child.pid as number);
const perThousandRuns = rssAfter - rssBefore;
console.log(`after 1,000 runs: ${agents} agents listed; RSS ${Math.round(rssBefore)} → ${Math.round(rssAfter)} MB`);

const home = tempHome();
const logger = createLogger({ level: "error", write: () => undefined });
const shutdown = new ShutdownSequence({ logger });
const local = await bootKernel(
  {
    config: loadConfig({ ...modelEnv, OXIOS_HOME: home, OXIOS_EMBEDDER: "hashing", OXIOS_MAX_CONCURRENT: "16" }),
    logger,
    clock: systemClock,
  },
  shutdown,
);
const inProcess = async (): Promise<void> => {
  const record = await local.runtime.runGoal({ goal: "bench goal" }).result;
  if (record.status !== "completed") throw new Error(`run ${record.status}`);
};
for (let index = 0; index < 30; index++) await inProcess();

// Idle agents as the issue names them: 1,000 agents spawned in the booted kernel and left idle,
// RSS measured in this process after a full GC before and after (run with --expose-gc).
const collect = (globalThis as { gc?: () => void }).gc;
const settledRss = (): number => {
  collect?.();
  collect?.();
  return process.memoryUsage().rss / 2 ** 20;
};
const spawnIdle = () =>
  Array.from({ length: 1000 }, (_, index) => local.runtime.runner.spawn({ name: `idle ${index}` }));
// A warm-up round first, so the measured round does not include one-time heap growth or
// the collection of garbage left by the runs above.
for (const agent of spawnIdle()) local.supervisor.remove(agent.id);
const idleBefore = settledRss();
const heapBefore = process.memoryUsage().heapUsed / 2 ** 20;
const idle = spawnIdle();
const idleAfter = settledRss();
const heapAfter = process.memoryUsage().heapUsed / 2 ** 20;
console.log(
  `1,000 idle agents: RSS ${idleBefore.toFixed(1)} → ${idleAfter.toFixed(1)} MB, heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MB (gc ${collect ? "on" : "off"})`,
);
for (const agent of idle) local.supervisor.remove(agent.id);
const http: number[] = [];
const direct: number[] = [];
for (let round = 0; round < 200; round++) {
  for (const [body, samples] of [
    [viaHttp, http],
    [inProcess, direct],
  ] as const) {
    const started = performance.now();
    await body();
    samples.push(performance.now() - started);
  }
}
await shutdown.run("bench done");
kernel.child.kill("SIGTERM");
await kernel.exited;
await fake.close();

// 4. Hostile bodies, on a kernel of their own.
const hostile = await benchHostileInput();

// 5. Durable runs under load, on kernels of their own.
const durable = await benchDurable();

writeBenchResults(packageDir, [
  ...cliCases,
  {
    name: "boot to healthy (USE-lite loaded), median of 3",
    ours: median(boots),
    baseline: 2000,
    baselineName: "goal",
    unit: "ms",
    better: "lower",
    goal: { atMost: 1 },
  },
  {
    name: "RSS after boot (USE-lite loaded), median of 3",
    ours: median(rss),
    baseline: 300,
    baselineName: "goal",
    unit: "MB",
    better: "lower",
    goal: { atMost: 1 },
  },
  {
    name: "RSS growth per 1,000 idle spawned agents (in-process, after GC)",
    // RSS can shrink while V8 returns pages; the larger of RSS and heap growth is reported.
    ours: Math.max(idleAfter - idleBefore, heapAfter - heapBefore),
    baseline: 20,
    baselineName: "goal",
    unit: "MB",
    better: "lower",
    goal: { atMost: 1 },
    notes: `RSS ${(idleAfter - idleBefore).toFixed(2)} MB, heap used ${(heapAfter - heapBefore).toFixed(2)} MB`,
  },
  {
    name: "RSS growth over 1,000 completed HTTP runs (daemon, no forced GC)",
    ours: perThousandRuns,
    baseline: 20,
    baselineName: "idle-agent goal, for scale",
    unit: "MB",
    better: "lower",
    notes: `${agents} ended agents stay listed (supervisor retention 1,000), plus run records and journal`,
  },
  {
    name: "POST /api/runs → completed, p50",
    ours: percentile(http, 50),
    baseline: percentile(direct, 50),
    baselineName: "runGoal in-process",
    unit: "ms",
    better: "lower",
    goal: { atMost: 1.2 },
  },
  {
    name: "POST /api/runs → completed, p95",
    ours: percentile(http, 95),
    baseline: percentile(direct, 95),
    baselineName: "runGoal in-process",
    unit: "ms",
    better: "lower",
    goal: { atMost: 1.5 },
  },
  ...hostile,
  ...durable,
]);
process.exit(0);
