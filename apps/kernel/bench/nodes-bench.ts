// The cluster bench's nodes row: the same runs through three kernel processes on one sqld
// against one kernel process on its own sqld (a cluster of one), global cap 24, the fake
// OpenAI-compatible model answering each call after 200 ms. Both clusters are up at once and
// the rounds alternate between them; a round POSTs all runs at once (round-robin over the
// cluster's nodes) and ends when every run has finished (long polls on the node that took it),
// and its throughput is runs ÷ that wall time. The cap bounds both sides at
// cap × 1000 / latency = 120 runs/s: the ceiling is printed beside the figures.
import { readFileSync } from "node:fs";
import { FakeLlmServer } from "@oxios/runtime/testing";
import { type BenchCase, median } from "@oxios/tooling/bench";
import { type SqldServer, startSqld } from "@oxios/tooling/sqld";
import { type KernelProcess, startKernel, tempHome } from "../src/__fixtures__/kernel-process.ts";
import { untilFinished } from "./durable.ts";
import { type SqldStats, sqldStats } from "./sqld-stats.ts";

const CAP = 24;
const LATENCY_MS = 200;

interface Cluster {
  sqld: SqldServer;
  nodes: KernelProcess[];
}

async function startCluster(size: number, env: Record<string, string>): Promise<Cluster> {
  const sqld = await startSqld();
  const nodes: KernelProcess[] = [];
  for (let index = 0; index < size; index++) {
    nodes.push(
      await startKernel(tempHome(), { ...env, OXIOS_DATABASE_URL: sqld.url, OXIOS_NODE_ID: `node-${size}-${index}` }),
    );
  }
  return { sqld, nodes };
}

/** Stops the nodes and sqld; returns what sqld executed over the cluster's life. */
async function stopCluster(cluster: Cluster): Promise<SqldStats> {
  for (const node of cluster.nodes) {
    if (node.child.exitCode !== null || node.child.signalCode !== null) continue;
    node.child.kill("SIGTERM");
    await node.exited;
  }
  await cluster.sqld.stop();
  try {
    return sqldStats(cluster.sqld);
  } finally {
    await cluster.sqld.close();
  }
}

/** CPU time a process has used so far (user + system), in ms; Linux `/proc/<pid>/stat`. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th, in ticks of 10 ms.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU ms the cluster's kernels and its sqld have used so far. */
function clusterCpu(cluster: Cluster): { kernels: number; sqld: number } {
  return {
    kernels: cluster.nodes.reduce((sum, node) => sum + cpuMs(node.child.pid), 0),
    sqld: cpuMs(cluster.sqld.pid),
  };
}

interface Round {
  /** Runs per second. */
  rate: number;
  /** CPU ms per run of the kernels together, and of sqld. */
  kernelCpuPerRun: number;
  sqldCpuPerRun: number;
}

/** `runs` runs POSTed at once round-robin over the cluster's nodes, until all have finished. */
async function round(cluster: Cluster, runs: number, label: string): Promise<Round> {
  const cpuBefore = clusterCpu(cluster);
  const started = performance.now();
  const submitted = await Promise.all(
    Array.from({ length: runs }, async (_, index) => {
      const node = cluster.nodes[index % cluster.nodes.length] as KernelProcess;
      const { taskId } = await node.json<{ taskId: string }>("POST", "/api/runs", { goal: `${label} ${index}` });
      return { node, taskId };
    }),
  );
  const statuses = await Promise.all(submitted.map(({ node, taskId }) => untilFinished(node, taskId)));
  const wall = performance.now() - started;
  const completed = statuses.filter((status) => status === "completed").length;
  if (completed !== runs) throw new Error(`${label}: ${completed} of ${runs} runs completed`);
  const cpuAfter = clusterCpu(cluster);
  return {
    rate: (runs / wall) * 1000,
    kernelCpuPerRun: (cpuAfter.kernels - cpuBefore.kernels) / runs,
    sqldCpuPerRun: (cpuAfter.sqld - cpuBefore.sqld) / runs,
  };
}

function describe(entry: Round | undefined): string {
  if (entry === undefined) return "-";
  return `${entry.rate.toFixed(1)} runs/s, CPU per run ${entry.kernelCpuPerRun.toFixed(1)} ms in the kernels + ${entry.sqldCpuPerRun.toFixed(1)} ms in sqld`;
}

export async function benchNodes(options: { runs: number; rounds: number }): Promise<BenchCase> {
  const fake = await FakeLlmServer.start({ script: () => ({ text: "done" }), latencyMs: LATENCY_MS });
  const env = {
    OXIOS_MODEL: "openai-compatible/fake",
    OXIOS_LLM_BASE_URL: fake.baseUrl,
    OXIOS_MAX_CONCURRENT: String(CAP),
    OXIOS_RATE_PER_MIN: "1000000",
    OXIOS_HTTP_RATE_PER_MIN: "1000000",
  };
  const clusters: Cluster[] = [];
  const three: Round[] = [];
  const one: Round[] = [];
  const stats: SqldStats[] = [];
  try {
    clusters.push(await startCluster(3, env), await startCluster(1, env));
    const [threeNodes, oneNode] = clusters as [Cluster, Cluster];
    // A warm-up round on each (first requests, prepared statements, JIT).
    await round(threeNodes, 48, "warm-up");
    await round(oneNode, 48, "warm-up");
    for (let index = 0; index < options.rounds; index++) {
      const pair = [
        async () => three.push(await round(threeNodes, options.runs, `three ${index}`)),
        async () => one.push(await round(oneNode, options.runs, `one ${index}`)),
      ];
      if (index % 2 === 1) pair.reverse();
      for (const run of pair) await run();
      console.log(`nodes round ${index + 1}: 3 nodes ${describe(three.at(-1))}; 1 node ${describe(one.at(-1))}`);
    }
  } finally {
    for (const cluster of clusters) stats.push(await stopCluster(cluster));
    await fake.close();
  }
  // Every run the cluster served: the warm-up's and each round's.
  const runsServed = 48 + options.runs * options.rounds;
  const perRun = stats.map(
    (entry) =>
      `${(entry.statements / runsServed).toFixed(1)} statements and ${(entry.executingMs / runsServed).toFixed(2)} ms executing per run`,
  );
  console.log(`nodes: sqld of 3 nodes ${perRun[0]}; of 1 node ${perRun[1]}`);
  return {
    name: `nodes: ${options.runs} runs at ${LATENCY_MS} ms model latency, global cap ${CAP}, 3 nodes vs 1 (both on sqld), median of ${options.rounds}`,
    ours: median(three.map((entry) => entry.rate)),
    baseline: median(one.map((entry) => entry.rate)),
    baselineName: "1 node",
    unit: "runs/s",
    better: "higher",
    goal: { atLeast: 2.5 },
    notes: `3 nodes: ${three.map(describe).join("; ")}. 1 node: ${one.map(describe).join("; ")}. The cap's ceiling is ${(CAP * 1000) / LATENCY_MS} runs/s; sqld: 3 nodes ${perRun[0]}, 1 node ${perRun[1]}`,
  };
}
