// The floor under the acknowledgement goal of #16 (1,000 concurrent `POST /api/runs`, ack p95
// ≤ 100 ms): the same burst, sent by the same client code (bench/ack-burst.ts, also used by
// bench/durable.ts), to
// - a bare `node:http` server that reads the JSON body and answers 202 with a small JSON body,
// - Hono on `@hono/node-server` with one such route (both bench/ack-floor-server.mjs),
// - the kernel as bench/durable.ts starts it (the built `oxios`, zero-latency model, cap 8;
//   its runs run between the slices of intake, as there), without that bench's /health probes
//   and event stream;
// - the same kernel with a model that never answers: intake alone, no run gets past its first
//   model call;
// each in a process of its own on plain `node`, all on this machine beside this process.
// Each gets the same warm-up (50 sequential requests; the kernel's 50 runs each awaited to the
// end), then ROUNDS rounds in which each takes its turn (floors first); after the kernel's burst
// every run it started is awaited to its end before the next burst. Per burst: ack p50/p95, the
// server's CPU (user + system, /proc) and this process's CPU from the first request to the last
// answer. Burst 1 is cold (code V8 has not optimised yet); the rows are medians of all ROUNDS
// bursts, as bench/durable.ts reports them, with the warm bursts' medians beside them (as
// `median` of @oxios/tooling takes it: of two warm bursts, the lower).
//
// Then the floor under the `POST /api/runs` → completed goal (p50 ≤ 1.2× `runGoal` in-process):
// sequential pairs of `POST /api/runs` and its long poll `GET /api/runs/{taskId}?waitMs=30000`
// (until the run is no longer queued or running), as bench/run.ts sends them, ROUNDS × 100 pairs
// per server taking turns in blocks of 100 (not the intake-alone kernel): what two requests cost
// with this client when the server does no work (the floors answer the run as completed at
// once), against the kernel's.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { FakeLlmServer } from "@oxios/runtime/testing";
import { type BenchCase, median, percentile, writeBenchResults } from "@oxios/tooling/bench";
import { startKernel, tempHome } from "../src/__fixtures__/kernel-process.ts";
import { ackBurst } from "./ack-burst.ts";
import { untilFinished } from "./durable.ts";

const rounds = Number(process.argv[2] ?? 3);
const SIZE = 1000;
const WARM_UP = 50;
const FLOOR_TOKEN = "floor-token";
const profileDir = process.env.OXIOS_BENCH_CPU_PROF;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** User + system CPU of process `pid` so far, in ms (from `/proc`, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5), counted from the state, which is field 3.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Server {
  name: string;
  url: string;
  token: string;
  pid: number;
  /** Waits until whatever the burst started on the server has finished. */
  settle(ids: string[]): Promise<void>;
  warmUp(): Promise<void>;
  stop(): Promise<void>;
}

async function startFloor(kind: "node" | "hono"): Promise<Server> {
  const child: ChildProcess = spawn(
    process.execPath,
    [fileURLToPath(new URL("./ack-floor-server.mjs", import.meta.url)), kind],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = Number(String((await once(lines, "line"))[0]).split(" ")[1]);
  const url = `http://127.0.0.1:${port}`;
  return {
    name: kind === "node" ? "bare node:http" : "Hono on @hono/node-server",
    url,
    token: FLOOR_TOKEN,
    pid: child.pid as number,
    settle: async () => undefined,
    async warmUp() {
      for (let index = 0; index < WARM_UP; index++) {
        const response = await fetch(`${url}/api/runs`, {
          method: "POST",
          headers: { authorization: `Bearer ${FLOOR_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ goal: `warm-up ${index}` }),
        });
        await response.json();
      }
    },
    async stop() {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/**
 * `runs: true`: the kernel of bench/durable.ts — its runs run as they are admitted, between the
 * slices of intake, and each burst's runs are awaited to their end. `runs: false`: intake alone —
 * its model never answers, so each run stops at its first model call (8 running, the rest queued).
 */
async function startKernelServer(modelUrl: string, runs: boolean): Promise<Server> {
  const kernel = await startKernel(
    tempHome(),
    {
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: modelUrl,
      OXIOS_MAX_CONCURRENT: "8",
      OXIOS_RATE_PER_MIN: "1000000",
      OXIOS_HTTP_RATE_PER_MIN: "1000000",
      OXIOS_DRAIN_TIMEOUT_MS: "1000",
    },
    {
      built: true,
      nodeArgs: profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
    },
  );
  return {
    name: runs ? "the kernel" : "the kernel, intake alone",
    url: kernel.url,
    token: kernel.token,
    pid: kernel.child.pid as number,
    async settle(ids) {
      if (runs) await Promise.all(ids.map((taskId) => untilFinished(kernel, taskId)));
    },
    async warmUp() {
      for (let index = 0; index < WARM_UP; index++) {
        const { taskId } = await kernel.json<{ taskId: string }>("POST", "/api/runs", { goal: `warm-up ${index}` });
        if (runs) await untilFinished(kernel, taskId);
      }
    },
    async stop() {
      kernel.child.kill("SIGTERM");
      await kernel.exited;
    },
  };
}

interface Measured {
  p50: number;
  p95: number;
  /** The server's CPU per acknowledgement (ms). */
  serverCpu: number;
  /** This process's CPU (the client; for the kernel also its model) per acknowledgement (ms). */
  clientCpu: number;
}

/** One run over HTTP as bench/run.ts sends it: `POST /api/runs`, then long polls until it has ended. */
async function pair(server: Server): Promise<void> {
  const headers = { authorization: `Bearer ${server.token}` };
  const posted = await fetch(`${server.url}/api/runs`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ goal: "bench goal" }),
  });
  const { taskId } = (await posted.json()) as { taskId: string };
  for (;;) {
    const read = await fetch(`${server.url}/api/runs/${taskId}?waitMs=30000`, { headers });
    const run = (await read.json()) as { status: string };
    if (run.status !== "queued" && run.status !== "running") return;
  }
}

async function measure(server: Server): Promise<Measured> {
  let errors = 0;
  const serverBefore = cpuMs(server.pid);
  const clientBefore = process.cpuUsage();
  const burst = await ackBurst(server.url, server.token, SIZE, (error) => {
    errors++;
    console.error(`  ${server.name}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const client = process.cpuUsage(clientBefore);
  const serverCpu = (cpuMs(server.pid) - serverBefore) / SIZE;
  if (errors > 0 || burst.refused > 0) throw new Error(`${server.name}: ${errors} errors, ${burst.refused} refused`);
  await server.settle(burst.ids);
  return {
    p50: percentile(burst.acks, 50),
    p95: percentile(burst.acks, 95),
    serverCpu,
    clientCpu: (client.user + client.system) / 1000 / SIZE,
  };
}

const model = await FakeLlmServer.start({ script: () => ({ text: "done" }) });
const silentModel = await FakeLlmServer.start({ script: () => ({ hang: true }) });
const servers = [
  await startFloor("node"),
  await startFloor("hono"),
  await startKernelServer(model.baseUrl, true),
  await startKernelServer(silentModel.baseUrl, false),
];
const bursts = new Map<Server, Measured[]>(servers.map((server) => [server, []]));
const pairs = new Map<Server, number[]>(servers.map((server) => [server, []]));
try {
  for (const server of servers) await server.warmUp();
  await sleep(2_000);
  for (let round = 0; round < rounds; round++) {
    for (const server of servers) {
      const measured = await measure(server);
      bursts.get(server)?.push(measured);
      console.log(
        `burst ${round + 1}, ${server.name}: ack p50 ${measured.p50.toFixed(1)} ms, p95 ${measured.p95.toFixed(1)} ms; server CPU ${measured.serverCpu.toFixed(3)} ms per ack, client CPU ${measured.clientCpu.toFixed(3)} ms per ack`,
      );
      await sleep(1_000);
    }
  }
  const paired = servers.slice(0, 3);
  for (const server of paired) for (let index = 0; index < WARM_UP; index++) await pair(server);
  for (let round = 0; round < rounds; round++) {
    for (const server of paired) {
      for (let index = 0; index < 100; index++) {
        const started = performance.now();
        await pair(server);
        pairs.get(server)?.push(performance.now() - started);
      }
    }
  }
} finally {
  for (const server of servers) await server.stop();
  await model.close();
  await silentModel.close();
}

/** The median over all bursts of `server` (`warm`: all but the first), or the first burst's value (`cold`). */
function of(server: Server, pick: (measured: Measured) => number, which: "all" | "warm" | "cold" = "all"): number {
  const measured = bursts.get(server) ?? [];
  if (which === "cold") return measured.length === 0 ? Number.NaN : pick(measured[0] as Measured);
  return median(measured.slice(which === "warm" ? 1 : 0).map(pick));
}
const three = (server: Server, pick: (measured: Measured) => number, digits = 1) =>
  `${of(server, pick).toFixed(digits)} (cold ${of(server, pick, "cold").toFixed(digits)}, warm ${of(server, pick, "warm").toFixed(digits)})`;
const [bare, hono, kernel, intake] = servers as [Server, Server, Server, Server];
console.log(`\nmedians of ${rounds} bursts (cold: burst 1; warm: the median of bursts 2–${rounds}, the lower of two):`);
for (const server of servers) {
  console.log(
    `  ${server.name.padEnd(26)} ack p95 ${three(server, (m) => m.p95)} ms, p50 ${three(server, (m) => m.p50)} ms; server CPU per ack ${three(server, (m) => m.serverCpu, 3)} ms; client CPU per ack ${of(server, (m) => m.clientCpu).toFixed(3)} ms`,
  );
}
const ratio = (server: Server, floor: Server) => of(server, (m) => m.p95) / of(floor, (m) => m.p95);
console.log(
  `  kernel / bare node:http p95 ${ratio(kernel, bare).toFixed(2)}×, kernel / Hono p95 ${ratio(kernel, hono).toFixed(2)}×; intake alone / Hono ${ratio(intake, hono).toFixed(2)}×\n`,
);

const pairP50 = (server: Server) => percentile(pairs.get(server) ?? [], 50);
const pairP95 = (server: Server) => percentile(pairs.get(server) ?? [], 95);
console.log(`sequential POST /api/runs + long poll, ${rounds * 100} pairs each:`);
for (const server of [bare, hono, kernel]) {
  console.log(`  ${server.name.padEnd(26)} p50 ${pairP50(server).toFixed(2)} ms, p95 ${pairP95(server).toFixed(2)} ms`);
}
console.log("");

const floorCase = (floor: Server): BenchCase => ({
  name: `1,000 concurrent POST /api/runs, ack p95 (median of ${rounds}): the kernel against ${floor.name}`,
  ours: of(kernel, (m) => m.p95),
  baseline: of(floor, (m) => m.p95),
  baselineName: `${floor.name}, same burst`,
  unit: "ms",
  better: "lower",
  notes: `cold ${of(kernel, (m) => m.p95, "cold").toFixed(1)} against ${of(floor, (m) => m.p95, "cold").toFixed(1)} ms, warm ${of(kernel, (m) => m.p95, "warm").toFixed(1)} against ${of(floor, (m) => m.p95, "warm").toFixed(1)} ms; server CPU per ack ${of(kernel, (m) => m.serverCpu).toFixed(3)} against ${of(floor, (m) => m.serverCpu).toFixed(3)} ms`,
});
const goalCase = (server: Server): BenchCase => ({
  name: `1,000 concurrent POST /api/runs, ack p95 (median of ${rounds}): ${server.name}`,
  ours: of(server, (m) => m.p95),
  baseline: 100,
  baselineName: "goal",
  unit: "ms",
  better: "lower",
  goal: { atMost: 1 },
  notes: `p50 ${of(server, (m) => m.p50).toFixed(1)} ms; cold ${of(server, (m) => m.p95, "cold").toFixed(1)} ms, warm ${of(server, (m) => m.p95, "warm").toFixed(1)} ms`,
});
writeBenchResults(
  fileURLToPath(new URL("..", import.meta.url)),
  [
    goalCase(bare),
    goalCase(hono),
    goalCase(kernel),
    goalCase(intake),
    floorCase(bare),
    floorCase(hono),
    ...[bare, hono].map(
      (floor): BenchCase => ({
        name: `sequential POST /api/runs + long poll to completed, p50: the kernel against ${floor.name}`,
        ours: pairP50(kernel),
        baseline: pairP50(floor),
        baselineName: `${floor.name}, the same two requests answered at once`,
        unit: "ms",
        better: "lower",
        notes: `p95 ${pairP95(kernel).toFixed(2)} against ${pairP95(floor).toFixed(2)} ms`,
      }),
    ),
  ],
  { directory: fileURLToPath(new URL("./results/ack-floor", import.meta.url)) },
);
process.exit(0);
