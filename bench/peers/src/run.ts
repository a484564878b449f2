/**
 * Peer benchmark (#25): per-run overhead of Oxios against bare AI SDK, `@openai/agents`,
 * LangGraph and Mastra on one workload (see workload.ts) and one scripted model server.
 *
 * Each system runs in its own child process (child.ts); the systems alternate over 3 rounds
 * and each figure is the median over the rounds. Writes `results/latest.json` (the bench
 * format, each case against bare AI SDK) and `results/latest.md` (the table).
 *
 *   pnpm bench:peers                        all systems, 3 rounds
 *   pnpm bench:peers --only a,b --rounds 1  some systems, fewer rounds
 *   pnpm bench:peers --profile oxios-in-process
 *                                           one round of one system under `node --cpu-prof`
 *                                           (profiles in results/profiles/)
 */
import { fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FakeLlmServer } from "@oxios/runtime/testing";
import { type BenchCase, median, writeBenchResults } from "@oxios/tooling/bench";
import { buildSystems } from "./build.ts";
import type { ChildMessage, RoundResult } from "./protocol.ts";
import { BASELINE, SYSTEMS } from "./systems/index.ts";
import { reply } from "./workload.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = join(packageDir, "results");
const { values } = parseArgs({
  options: {
    only: { type: "string" },
    rounds: { type: "string", default: "3" },
    profile: { type: "string" },
  },
});
const names = values.profile !== undefined ? [values.profile] : (values.only?.split(",") ?? Object.keys(SYSTEMS));
for (const name of names) if (SYSTEMS[name] === undefined) throw new Error(`unknown system ${name}`);
const rounds = values.profile !== undefined ? 1 : Number(values.rounds);

const built = await buildSystems();
const kernelBin = fileURLToPath(import.meta.resolve("@oxios/kernel/bin/oxios.mjs"));

let latencyMs = 0;
let requests = 0;
let requestBytes = 0;
const fake = await FakeLlmServer.start({
  // Clients sit idle between phases for seconds on a busy machine; a connection the server
  // closed as a client reused it failed whole rounds ("other side closed").
  keepAliveTimeoutMs: 120_000,
  script: async (request) => {
    requests++;
    requestBytes += JSON.stringify(request.body).length;
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    return reply(request);
  },
});

interface Observed extends RoundResult {
  requestsPerRun: number;
  bytesPerRequest: number;
  burstMaxInFlight: number;
}

async function runChild(name: string): Promise<Observed> {
  requests = 0;
  requestBytes = 0;
  fake.requests.length = 0;
  const profileDir = join(resultsDir, "profiles");
  // Plain `node` on the built child (build.ts): no loader in the measured process.
  const execArgv: string[] = [];
  if (values.profile !== undefined) {
    mkdirSync(profileDir, { recursive: true });
    execArgv.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
  }
  const child = fork(built.child, [name], {
    execArgv,
    env: {
      ...process.env,
      PEERS_MODEL_URL: fake.baseUrl,
      PEERS_KERNEL_BIN: kernelBin,
      PEERS_KERNEL_PRELOAD: built.preload,
      PEERS_AI_SDK_HTTP_SERVER: built.aiSdkHttpServer,
      ...(values.profile === undefined ? {} : { PEERS_CPU_PROF_DIR: profileDir }),
    },
    cwd: packageDir,
  });
  let result: RoundResult | undefined;
  let burstMaxInFlight = 0;
  child.on("message", (message: ChildMessage) => {
    if (message.type === "latency") {
      if (latencyMs > 0) burstMaxInFlight = fake.maxInFlight;
      latencyMs = message.ms;
      fake.resetCounters();
      fake.requests.length = 0;
      child.send({ type: "ready" });
    } else result = message;
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0 || result === undefined) throw new Error(`${name}: child exited with ${code} before its result`);
  return {
    ...result,
    requestsPerRun: requests / result.runs,
    bytesPerRequest: requestBytes / requests,
    burstMaxInFlight,
  };
}

/**
 * On this shared machine a run now and then fails on the wire (a keep-alive socket the fake
 * server closed after 5 s idle while the child was starved of CPU): that child is run again,
 * up to twice, and said so.
 */
async function runChildRetrying(name: string): Promise<Observed> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runChild(name);
    } catch (error) {
      if (attempt === 3) throw error;
      console.log(
        `${name}: attempt ${attempt} failed (${error instanceof Error ? error.message : String(error)}); again`,
      );
    }
  }
}

const loadBefore = loadavg();
const observed = new Map<string, Observed[]>(names.map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  // Alternate: each round starts one system later, so no system always runs first or last.
  const order = names.map((_, index) => names[(index + round) % names.length] as string);
  for (const name of order) {
    const result = await runChildRetrying(name);
    observed.get(name)?.push(result);
    console.log(
      `round ${round + 1} ${name}: seq p50 ${median(result.sequentialMs).toFixed(2)} ms, burst ${Math.round(result.burstMs)} ms, ` +
        `CPU ${result.cpuMsPerRun.toFixed(2)} ms/run, RSS ${Math.round(result.rssAtRestMb)} MB, ` +
        `${result.requestsPerRun.toFixed(2)} requests/run, ${Math.round(result.bytesPerRequest)} B/request, ` +
        `burst in flight ≤ ${result.burstMaxInFlight}`,
    );
  }
}
await fake.close();
const loadAfter = loadavg();
if (values.profile !== undefined) {
  console.log(`profile written to ${join(resultsDir, "profiles")}`);
  process.exit(0);
}

interface Summary {
  system: string;
  label: string;
  seqP50Ms: number;
  burstMs: number;
  cpuMsPerRun: number;
  rssAtRestMb: number;
  requestsPerRun: number;
  bytesPerRequest: number;
  burstMaxInFlight: number;
}
const summaries: Summary[] = names.map((name) => {
  const rows = observed.get(name) ?? [];
  return {
    system: name,
    label: SYSTEMS[name]?.label ?? name,
    seqP50Ms: median(rows.map((row) => median(row.sequentialMs))),
    burstMs: median(rows.map((row) => row.burstMs)),
    cpuMsPerRun: median(rows.map((row) => row.cpuMsPerRun)),
    rssAtRestMb: median(rows.map((row) => row.rssAtRestMb)),
    requestsPerRun: median(rows.map((row) => row.requestsPerRun)),
    bytesPerRequest: median(rows.map((row) => row.bytesPerRequest)),
    burstMaxInFlight: median(rows.map((row) => row.burstMaxInFlight)),
  };
});
const bare = summaries.find((summary) => summary.system === BASELINE);
if (bare === undefined) throw new Error(`the baseline ${BASELINE} must be among the systems`);

const goals: Record<string, { seq?: number; burst?: number }> = {
  "oxios-in-process": { seq: 1.1, burst: 1.2 },
  "oxios-http": { seq: 1.5, burst: 1.5 },
};
const cases: BenchCase[] = summaries
  .filter((summary) => summary !== bare)
  .flatMap((summary) => {
    const goal = goals[summary.system];
    const notes = `${summary.requestsPerRun.toFixed(2)} model requests per run, ${Math.round(summary.bytesPerRequest)} B per request, burst in flight ≤ ${summary.burstMaxInFlight}`;
    const against = (name: string, ours: number, baseline: number, unit: string, atMost?: number): BenchCase => ({
      name: `${summary.system}: ${name}`,
      ours,
      baseline,
      baselineName: "bare AI SDK",
      unit,
      better: "lower",
      ...(atMost === undefined ? {} : { goal: { atMost } }),
      notes,
    });
    return [
      against("sequential run p50 (0 ms model)", summary.seqP50Ms, bare.seqP50Ms, "ms", goal?.seq),
      against("200-run burst (50 ms model)", summary.burstMs, bare.burstMs, "ms", goal?.burst),
      against("CPU per run", summary.cpuMsPerRun, bare.cpuMsPerRun, "ms"),
      against("RSS at rest", summary.rssAtRestMb, bare.rssAtRestMb, "MB"),
    ];
  });
writeBenchResults(packageDir, cases, { directory: resultsDir });

const cpu = cpus();
const machine = `${cpu.length}× ${cpu[0]?.model ?? "unknown cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
const load = (values: number[]) => values.map((value) => value.toFixed(1)).join(", ");
const ratio = (ours: number, baseline: number) => `${(ours / baseline).toFixed(2)}×`;
const table = [
  `Machine: ${machine}. Date: ${new Date().toISOString().slice(0, 10)}. Load average (1, 5, 15 min) ${load(loadBefore)} before, ${load(loadAfter)} after.`,
  `Medians of ${rounds} rounds, each system in its own process, alternated; ${observed.get(BASELINE)?.[0]?.sequentialMs.length ?? 0} sequential runs at 0 ms model latency, then ${bare ? (observed.get(BASELINE)?.[0]?.burstRuns ?? 0) : 0} runs started at once at 50 ms.`,
  "",
  "| system | seq p50 vs bare AI SDK | 200-run burst vs bare | CPU ms per run | RSS at rest | model requests per run | bytes per request | burst requests in flight (max) |",
  "|---|---|---|---|---|---|---|---|",
  ...summaries.map((summary) => {
    const isBare = summary === bare;
    const seq = isBare
      ? `1.00× (${summary.seqP50Ms.toFixed(1)} ms)`
      : `${ratio(summary.seqP50Ms, bare.seqP50Ms)} (${summary.seqP50Ms.toFixed(1)} ms)`;
    const burst = isBare
      ? `1.00× (${Math.round(summary.burstMs)} ms)`
      : `${ratio(summary.burstMs, bare.burstMs)} (${Math.round(summary.burstMs)} ms)`;
    return `| ${summary.label} | ${seq} | ${burst} | ${summary.cpuMsPerRun.toFixed(1)} | ${Math.round(summary.rssAtRestMb)} MB | ${summary.requestsPerRun.toFixed(2)} | ${Math.round(summary.bytesPerRequest)} | ${summary.burstMaxInFlight} |`;
  }),
  "",
];
writeFileSync(join(resultsDir, "latest.md"), table.join("\n"));
console.log(`\n${table.join("\n")}`);
process.exit(0);
