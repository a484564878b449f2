// The cluster bench's nodes row: the same runs through three kernel processes on one sqld
// against one kernel process on its own sqld (a cluster of one), global cap 24, the fake
// OpenAI-compatible model answering each call after 200 ms. Both clusters are up at once and
// the rounds alternate between them; a round POSTs all runs at once (round-robin over the
// cluster's nodes) and ends when every run has finished (long polls on the node that took it),
// and its throughput is runs ÷ that wall time. The cap bounds both sides at
// cap × 1000 / latency = 120 runs/s: the ceiling is printed beside the figures.
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

/** Runs per second for `runs` runs POSTed at once round-robin over the cluster's nodes. */
async function round(cluster: Cluster, runs: number, label: string): Promise<number> {
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
  return (runs / wall) * 1000;
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
  const three: number[] = [];
  const one: number[] = [];
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
      console.log(
        `nodes round ${index + 1}: 3 nodes ${(three.at(-1) ?? 0).toFixed(1)} runs/s, 1 node ${(one.at(-1) ?? 0).toFixed(1)} runs/s (ceiling ${(CAP * 1000) / LATENCY_MS})`,
      );
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
    ours: median(three),
    baseline: median(one),
    baselineName: "1 node",
    unit: "runs/s",
    better: "higher",
    goal: { atLeast: 2.5 },
    notes: `3 nodes ${three.map((value) => value.toFixed(1)).join(", ")}; 1 node ${one.map((value) => value.toFixed(1)).join(", ")} runs/s; the cap's ceiling is ${(CAP * 1000) / LATENCY_MS} runs/s; sqld: 3 nodes ${perRun[0]}, 1 node ${perRun[1]}`,
  };
}
