// Cluster benchmarks (issue #20), each row against its baseline in the same run, medians:
// 1. Queue throughput (bench/queue-bench.ts): 10,000 no-op tasks submit → admit → complete
//    through three nodes on one sqld against BullMQ 6 on Redis 7 (Debian's redis-server,
//    unpacked by tooling/scripts/redis.mjs and started here on 127.0.0.1), three worker
//    processes, the same global concurrency (24). A "no-op task" is a task of the kernel's
//    durable queue with nothing to run: the queued row written (group commit), the task
//    admitted through `admitBatch` (one conditional UPDATE fills the node's free slots under the
//    global cap) and leased by its node, its body an immediately resolved promise, its
//    completion written. No agent,
//    no model, no run journal: the queue and its admission alone, like a BullMQ job whose
//    processor returns at once (goal ≥ 0.5× BullMQ).
// 2. Nodes (bench/nodes-bench.ts): 600 runs at 200 ms model latency (the fake
//    OpenAI-compatible server), global cap 24, through three kernel processes against one
//    (goal ≥ 2.5× throughput).
// 3. Memory (bench/memory-bench.ts): hybrid search through sqld against the embedded file at
//    the same memories, p50, and the same results (goal ≤ 2×).
// Environment: CLUSTER_BENCH_TASKS (10000), CLUSTER_BENCH_ROUNDS (3), CLUSTER_BENCH_RUNS (600),
// CLUSTER_BENCH_MEMORIES (100000), CLUSTER_BENCH_PROFILE (a directory: the queue row's worker
// processes write CPU profiles there); `--only=queue,nodes,memory` picks rows. Writes
// bench/results/cluster/latest.json.
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchCase, writeBenchResults } from "@oxios/tooling/bench";
import { benchMemory } from "./memory-bench.ts";
import { benchNodes } from "./nodes-bench.ts";
import { benchQueue } from "./queue-bench.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const only = process.argv
  .find((argument) => argument.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
const wanted = (row: string) => only === undefined || only.includes(row);
const setting = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};
const rounds = setting("CLUSTER_BENCH_ROUNDS", 3);
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(", ");

console.log(`load average at start: ${load()}`);
const cases: BenchCase[] = [];
if (wanted("queue")) {
  cases.push(await benchQueue({ tasks: setting("CLUSTER_BENCH_TASKS", 10_000), rounds, concurrency: 24 }));
}
if (wanted("nodes")) cases.push(await benchNodes({ runs: setting("CLUSTER_BENCH_RUNS", 600), rounds }));
if (wanted("memory")) cases.push(...(await benchMemory({ memories: setting("CLUSTER_BENCH_MEMORIES", 100_000) })));
console.log(`load average at end: ${load()}`);
writeBenchResults(packageDir, cases, { directory: join(packageDir, "bench", "results", "cluster") });
process.exit(0);
