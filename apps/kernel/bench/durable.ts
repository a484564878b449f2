// Durable runs under load (issue #16), on kernels of their own:
// - 1,000 concurrent POST /api/runs: acknowledgement p95; /health p99 meanwhile; connection
//   errors of every request made meanwhile (the POSTs, /health, 100 long polls, one SSE stream);
//   RSS after the burst has finished and 10 s of idle, minus RSS before (three rounds, medians);
// - 1,000 runs at 200 ms model latency with cap 8: wall time against the ideal 1,000 × 200 / 8 ms;
// - SIGTERM with those runs queued and running: the stop's duration against the drain timeout,
//   and whether it reported ok (exit code 0).
// Each kernel is the built `oxios` command (`bin/oxios.mjs` → `dist/`) started as
// `oxios start --foreground` on plain `node`, as users run it (no TypeScript loader in the
// measured process; `pnpm build` first, which `turbo run bench` does). OXIOS_BENCH_NODE_FLAGS
// (space-separated) adds Node/V8 flags to each kernel, to measure one against the default;
// OXIOS_BENCH_CPU_PROF=DIR writes a V8 CPU profile of each kernel into DIR (`--cpu-prof`).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FakeLlmServer } from "@oxios/runtime/testing";
import { type BenchCase, median, percentile } from "@oxios/tooling/bench";
import { type KernelProcess, startKernel, tempHome } from "../src/__fixtures__/kernel-process.ts";
import { ackBurst } from "./ack-burst.ts";

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const HEALTH_PROBE = fileURLToPath(new URL("./health-probe.mjs", import.meta.url));

/** Starts `health-probe.mjs` against `url`; `stop()` ends it and returns what it measured. */
function startHealthProbe(url: string): { stop(): Promise<{ latencies: number[]; errors: number }> } {
  const child = spawn(process.execPath, [HEALTH_PROBE, url], { stdio: ["pipe", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    async stop() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`the /health prober exited ${code}`);
      return JSON.parse(output) as { latencies: number[]; errors: number };
    },
  };
}

interface Burst {
  ackP50: number;
  ackP95: number;
  /** Seen from a prober process of its own (`health-probe.mjs`). */
  healthP99: number;
  /** Seen from this process, which also sends the burst and serves the model. */
  healthP99HereToo: number;
  errors: number;
  rssGrowth: number;
}

/** Long-polls a run on `kernel` until it is no longer queued or running; returns its status. */
export async function untilFinished(kernel: KernelProcess, taskId: string): Promise<string> {
  for (;;) {
    const run = await kernel.json<{ status: string }>("GET", `/api/runs/${taskId}?waitMs=30000`);
    if (run.status !== "queued" && run.status !== "running") return run.status;
  }
}

async function burst(kernel: KernelProcess, size: number): Promise<Burst> {
  const pid = kernel.child.pid as number;
  const before = rssMb(pid);
  let errors = 0;
  const failed = (error: unknown) => {
    errors++;
    console.error(`  connection error: ${error instanceof Error ? error.message : String(error)}`);
  };
  // One SSE stream for the whole burst: it must not be reset.
  const sse = new AbortController();
  const stream = (async () => {
    const response = await fetch(`${kernel.url}/api/events?types=task.completed`, {
      headers: { authorization: `Bearer ${kernel.token}`, accept: "text/event-stream" },
      signal: sse.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) if ((await reader.read()).done) return;
    } finally {
      reader.releaseLock();
    }
  })().catch((error: unknown) => {
    if (!sse.signal.aborted) failed(error);
  });
  const probe = startHealthProbe(kernel.url);
  let polling = true;
  const health: number[] = [];
  const poller = (async () => {
    while (polling) {
      const started = performance.now();
      try {
        await (await fetch(`${kernel.url}/health`)).arrayBuffer();
        health.push(performance.now() - started);
      } catch (error) {
        failed(error);
      }
      await sleep(10);
    }
  })();
  const { acks, ids, refused } = await ackBurst(kernel.url, kernel.token, size, failed);
  errors += refused;
  // Long polls while the runs flow (the first 100), then every run to its end.
  await Promise.all(
    ids.map((taskId) =>
      untilFinished(kernel, taskId).catch((error: unknown) => {
        failed(error);
        return "error";
      }),
    ),
  );
  polling = false;
  await poller;
  const probed = await probe.stop();
  errors += probed.errors;
  sse.abort();
  await stream;
  await sleep(10_000);
  const after = rssMb(pid);
  return {
    ackP50: percentile(acks, 50),
    ackP95: percentile(acks, 95),
    healthP99: percentile(probed.latencies, 99),
    healthP99HereToo: percentile(health, 99),
    errors,
    rssGrowth: after - before,
  };
}

const profileDir = process.env.OXIOS_BENCH_CPU_PROF;
const kernelOptions = {
  built: true,
  nodeArgs: [
    ...(process.env.OXIOS_BENCH_NODE_FLAGS?.split(" ").filter((flag) => flag !== "") ?? []),
    ...(profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]),
  ],
};

export async function benchDurable(): Promise<BenchCase[]> {
  // 1. Bursts against a zero-latency model.
  const fast = await FakeLlmServer.start({ script: () => ({ text: "done" }) });
  const env = {
    OXIOS_MODEL: "openai-compatible/fake",
    OXIOS_LLM_BASE_URL: fast.baseUrl,
    OXIOS_MAX_CONCURRENT: "8",
    OXIOS_RATE_PER_MIN: "1000000",
    OXIOS_HTTP_RATE_PER_MIN: "1000000",
  };
  const kernel = await startKernel(tempHome(), env, kernelOptions);
  for (let index = 0; index < 50; index++) {
    const { taskId } = await kernel.json<{ taskId: string }>("POST", "/api/runs", { goal: `warm-up ${index}` });
    await untilFinished(kernel, taskId);
  }
  await sleep(2_000);
  const rounds: Burst[] = [];
  for (let round = 0; round < 3; round++) {
    const result = await burst(kernel, 1000);
    console.log(
      `burst ${round + 1}: ack p50 ${result.ackP50.toFixed(1)} ms, p95 ${result.ackP95.toFixed(1)} ms; /health p99 ${result.healthP99.toFixed(1)} ms (from this process ${result.healthP99HereToo.toFixed(1)} ms); ${result.errors} connection errors; RSS +${result.rssGrowth.toFixed(1)} MB after 10 s idle`,
    );
    rounds.push(result);
  }
  kernel.child.kill("SIGTERM");
  await kernel.exited;
  await fast.close();

  // 2. Throughput at 200 ms model latency, cap 8, then a SIGTERM under that load.
  const slow = await FakeLlmServer.start({ script: () => ({ text: "done" }), latencyMs: 200 });
  const drainTimeoutMs = 5_000;
  const slowKernel = await startKernel(
    tempHome(),
    {
      ...env,
      OXIOS_LLM_BASE_URL: slow.baseUrl,
      OXIOS_DRAIN_TIMEOUT_MS: String(drainTimeoutMs),
    },
    kernelOptions,
  );
  const started = performance.now();
  const ids = await Promise.all(
    Array.from({ length: 1000 }, async (_, index) => {
      const { taskId } = await slowKernel.json<{ taskId: string }>("POST", "/api/runs", { goal: `slow ${index}` });
      return taskId;
    }),
  );
  const statuses = await Promise.all(ids.map((taskId) => untilFinished(slowKernel, taskId)));
  const wall = performance.now() - started;
  const ideal = (1000 * 200) / 8;
  console.log(
    `1,000 runs at 200 ms, cap 8: ${(wall / 1000).toFixed(1)} s (ideal ${(ideal / 1000).toFixed(1)} s), ${statuses.filter((status) => status === "completed").length} completed`,
  );
  await Promise.all(
    Array.from({ length: 1000 }, (_, index) => slowKernel.json("POST", "/api/runs", { goal: `stopped ${index}` })),
  );
  await sleep(500);
  const stopping = performance.now();
  slowKernel.child.kill("SIGTERM");
  const exit = await slowKernel.exited;
  const stopMs = performance.now() - stopping;
  // The kernel exits 0 only when its shutdown report is ok (src/server.ts), whatever its log format.
  const ok = exit.code === 0;
  console.log(`SIGTERM with 1,000 runs queued or running: ${Math.round(stopMs)} ms, exit ${exit.code}, ok ${ok}`);
  await slow.close();

  return [
    {
      name: "1,000 concurrent POST /api/runs: acknowledgement p95 (median of 3 bursts)",
      ours: median(rounds.map((round) => round.ackP95)),
      baseline: 100,
      baselineName: "goal",
      unit: "ms",
      better: "lower",
      goal: { atMost: 1 },
      notes: `p50 ${median(rounds.map((round) => round.ackP50)).toFixed(1)} ms`,
    },
    {
      name: "/health p99 during the burst, probed from a process of its own (median of 3)",
      ours: median(rounds.map((round) => round.healthP99)),
      baseline: 100,
      baselineName: "goal",
      unit: "ms",
      better: "lower",
      goal: { atMost: 1 },
      notes: `probed from the bench process too (which sends the burst and serves the model): ${median(rounds.map((round) => round.healthP99HereToo)).toFixed(1)} ms`,
    },
    {
      name: "connection errors during the bursts (POSTs, /health, long polls, SSE; total of 3)",
      ours: rounds.reduce((sum, round) => sum + round.errors, 0),
      baseline: 0,
      baselineName: "goal",
      unit: "errors",
      better: "lower",
    },
    {
      name: "RSS after a burst and 10 s idle, minus before (median of 3)",
      ours: median(rounds.map((round) => round.rssGrowth)),
      baseline: 64,
      baselineName: "goal",
      unit: "MB",
      better: "lower",
      goal: { atMost: 1 },
      notes: rounds.map((round) => round.rssGrowth.toFixed(1)).join(", "),
    },
    {
      name: "1,000 runs at 200 ms model latency, cap 8: wall time",
      ours: wall,
      baseline: ideal,
      baselineName: "ideal 1,000 × 200 ms / 8",
      unit: "ms",
      better: "lower",
      goal: { atMost: 1.2 },
    },
    {
      name: "SIGTERM with 1,000 runs queued or running: time to exit",
      ours: stopMs,
      baseline: drainTimeoutMs,
      baselineName: "drain timeout",
      unit: "ms",
      better: "lower",
      goal: { atMost: 1 },
      notes: `exit code ${exit.code}, shutdown ok ${ok}`,
    },
  ];
}
