/**
 * One system in its own process: `child.ts <system>` with `PEERS_MODEL_URL` set. Warm-up runs,
 * sequential runs at 0 ms model latency (wall time each, CPU per run, RSS at rest), then a
 * burst of runs started at once at 50 ms latency; the result goes to the runner over IPC.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ChildMessage, Ready, RoundResult } from "./protocol.ts";
import { SYSTEMS } from "./systems/index.ts";

const WARMUP_RUNS = 20;
const SEQUENTIAL_RUNS = 100;
const BURST_RUNS = 200;
const BURST_LATENCY_MS = 50;

const name = process.argv[2] ?? "";
const entry = SYSTEMS[name];
const baseUrl = process.env.PEERS_MODEL_URL;
if (entry === undefined || baseUrl === undefined || process.send === undefined) {
  throw new Error(`usage: child.ts <${Object.keys(SYSTEMS).join("|")}> with PEERS_MODEL_URL, forked with IPC`);
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve())),
  );
}

function setLatency(ms: number): Promise<void> {
  const ready = new Promise<void>((resolve) => {
    process.once("message", (message: Ready) => {
      if (message.type === "ready") resolve();
    });
  });
  return send({ type: "latency", ms }).then(() => ready);
}

const system = await entry.create(baseUrl);
await setLatency(0);
for (let index = 0; index < WARMUP_RUNS; index++) await system.run();

const sequentialMs: number[] = [];
const cpuBefore = system.cpuMs();
for (let index = 0; index < SEQUENTIAL_RUNS; index++) {
  const started = performance.now();
  await system.run();
  sequentialMs.push(performance.now() - started);
}
const cpuMsPerRun = (system.cpuMs() - cpuBefore) / SEQUENTIAL_RUNS;
// A bench, not a test: "at rest" is one second without runs.
await sleep(1000);
const rssAtRestMb = system.rssMb();

await setLatency(BURST_LATENCY_MS);
const burstStarted = performance.now();
await Promise.all(Array.from({ length: BURST_RUNS }, () => system.run()));
const burstMs = performance.now() - burstStarted;
await setLatency(0);

await system.close();
const result: RoundResult = {
  type: "result",
  system: name,
  runs: WARMUP_RUNS + SEQUENTIAL_RUNS + BURST_RUNS,
  sequentialMs,
  cpuMsPerRun,
  rssAtRestMb,
  burstMs,
  burstRuns: BURST_RUNS,
};
await send(result);
process.disconnect();
