// The cluster bench's queue row: N no-op tasks submit → admit → complete through three nodes
// on one sqld (bench/queue-node-oxios.ts) against BullMQ 6 on Redis 7 with three worker
// processes (bench/queue-node-bullmq.ts), the same global concurrency on both sides. Each
// round starts fresh (a new sqld, a new BullMQ queue), the contenders alternate, and the
// median rate of each is reported. A round's clock runs from the go sent to every worker
// (all booted and connected) until the workers together report N completions.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type BenchCase, median } from "@oxios/tooling/bench";
import { startRedis } from "@oxios/tooling/redis";
import { startSqld } from "@oxios/tooling/sqld";
import { Queue } from "bullmq";
import type { QueueBenchMessage, QueueWorkerMessage } from "./queue-protocol.ts";
import { type SqldStats, sqldStats } from "./sqld-stats.ts";

const NODES = 3;
const profileDir = process.env.CLUSTER_BENCH_PROFILE;
const STALL_MS = 60_000;

/** One worker process and the completions it reported. */
class QueueWorker {
  readonly #child: ChildProcess;
  completed = 0;
  readonly ready: Promise<void>;
  readonly stopped: Promise<void>;
  #onProgress: () => void = () => undefined;
  #failure: Error | undefined;

  constructor(file: string, args: string[]) {
    this.#child = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
      execArgv: [
        "--conditions=@oxios/source",
        "--import",
        "tsx",
        // CLUSTER_BENCH_PROFILE=DIR: every worker writes a CPU profile into DIR when it exits.
        ...(profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]),
      ],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let readyResolve: () => void = () => undefined;
    let readyReject: (error: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    this.stopped = new Promise((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.on("message", (message: QueueWorkerMessage) => {
      if (message.kind === "ready") readyResolve();
      else if (message.kind === "completed") {
        // Reports may arrive out of order (a batched count after the final one): keep the largest.
        this.completed = Math.max(this.completed, message.count);
        this.#onProgress();
      } else if (message.kind === "failed") {
        this.#failure = new Error(`queue worker ${file} failed: ${message.message}`);
        readyReject(this.#failure);
        this.#onProgress();
      }
    });
    this.#child.once("exit", (code, signal) => {
      this.#failure ??= new Error(`queue worker ${file} exited (${code ?? signal})`);
      readyReject(this.#failure);
      this.#onProgress();
    });
  }

  get failure(): Error | undefined {
    return this.#child.connected ? this.#failure : (this.#failure ?? new Error("queue worker disconnected"));
  }

  onProgress(listener: () => void): void {
    this.#onProgress = listener;
  }

  send(message: QueueBenchMessage): void {
    this.#child.send(message);
  }

  async stop(): Promise<void> {
    if (this.#child.connected) this.send({ kind: "stop" });
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 30_000);
    await this.stopped;
    clearTimeout(timer);
  }
}

/** Shares of `total` over the nodes: 10,000 → 3,334 + 3,333 + 3,333. */
function shares(total: number): number[] {
  return Array.from({ length: NODES }, (_, index) => Math.floor(total / NODES) + (index < total % NODES ? 1 : 0));
}

/**
 * Starts the workers, sends go, and returns tasks per second once they completed `total`.
 * Rejects when a worker fails, or when no task completes for STALL_MS (a wedged node).
 */
async function round(workers: QueueWorker[], total: number): Promise<number> {
  let watchdog: ReturnType<typeof setInterval> | undefined;
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    let progressAt = performance.now();
    let completed = 0;
    const finished = new Promise<void>((resolve, reject) => {
      const check = () => {
        const failure = workers.map((worker) => worker.failure).find((error) => error !== undefined);
        const now = workers.reduce((sum, worker) => sum + worker.completed, 0);
        if (now > completed) {
          completed = now;
          progressAt = performance.now();
        }
        if (failure !== undefined) reject(failure);
        else if (completed >= total) resolve();
        else if (performance.now() - progressAt > STALL_MS) {
          reject(new Error(`stalled: ${completed} of ${total} completed, none for ${STALL_MS / 1000} s`));
        }
      };
      for (const worker of workers) worker.onProgress(check);
      watchdog = setInterval(check, 1_000);
    });
    const started = performance.now();
    for (const worker of workers) worker.send({ kind: "go" });
    await finished;
    return (total / (performance.now() - started)) * 1000;
  } finally {
    clearInterval(watchdog);
    for (const worker of workers) worker.onProgress(() => undefined);
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}

/** A round of ours, and what sqld executed in it (boot and shutdown of the nodes included). */
async function oxiosRound(total: number, concurrency: number): Promise<{ rate: number; sqld: SqldStats }> {
  const sqld = await startSqld();
  try {
    const workers = shares(total).map(
      (share, index) =>
        new QueueWorker("./queue-node-oxios.ts", [sqld.url, `node-${index}`, String(share), String(concurrency)]),
    );
    const rate = await round(workers, total);
    await sqld.stop();
    return { rate, sqld: sqldStats(sqld) };
  } finally {
    await sqld.close();
  }
}

async function bullmqRound(port: number, name: string, total: number, concurrency: number): Promise<number> {
  const queue = new Queue(name, { connection: { host: "127.0.0.1", port } });
  try {
    await queue.setGlobalConcurrency(concurrency);
  } finally {
    await queue.close();
  }
  const workers = shares(total).map(
    (share) => new QueueWorker("./queue-node-bullmq.ts", [String(port), name, String(share), String(concurrency)]),
  );
  return round(workers, total);
}

export async function benchQueue(options: { tasks: number; rounds: number; concurrency: number }): Promise<BenchCase> {
  const redis = await startRedis();
  const ours: number[] = [];
  const bullmq: number[] = [];
  const served: SqldStats[] = [];
  const failures: string[] = [];
  /** A failed round is reported, not retried: the row's median is over the rounds that finished. */
  const attempt = async (side: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (error) {
      // The first line: a worker's failure carries its stack after it.
      const message = `${side}: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`;
      console.log(`queue round failed, ${message}`);
      failures.push(message);
    }
  };
  try {
    for (let index = 0; index < options.rounds; index++) {
      const oursBefore = ours.length;
      const bullmqBefore = bullmq.length;
      // Alternate who goes first, so a slow spell of the machine hits both alike.
      const pair = [
        () =>
          attempt("ours", async () => {
            const result = await oxiosRound(options.tasks, options.concurrency);
            ours.push(result.rate);
            served.push(result.sqld);
          }),
        () =>
          attempt("BullMQ", async () => {
            bullmq.push(await bullmqRound(redis.port, `bench-${index}`, options.tasks, options.concurrency));
          }),
      ];
      if (index % 2 === 1) pair.reverse();
      for (const run of pair) await run();
      const rate = (values: number[], before: number) =>
        values.length > before ? `${Math.round(values.at(-1) ?? 0)} tasks/s` : "failed";
      const stats = served.length > oursBefore ? served.at(-1) : undefined;
      console.log(
        `queue round ${index + 1}: ours ${rate(ours, oursBefore)}, BullMQ ${rate(bullmq, bullmqBefore)}${stats === undefined ? "" : `; sqld executed ${stats.statements} statements in ${Math.round(stats.executingMs)} ms (slowest ${stats.slowest?.ms} ms: ${stats.slowest?.sql})`}`,
      );
    }
  } finally {
    await redis.close();
  }
  return {
    name: `queue: ${options.tasks.toLocaleString("en-US")} no-op tasks submit → admit → complete, ${NODES} nodes, global concurrency ${options.concurrency}, median of ${ours.length} / ${bullmq.length} finished rounds of ${options.rounds}`,
    ours: median(ours),
    baseline: median(bullmq),
    baselineName: `BullMQ 6.7.0 on Redis ${redis.version}, ${NODES} workers`,
    unit: "tasks/s",
    better: "higher",
    goal: { atLeast: 0.5 },
    notes: `ours ${ours.map(Math.round).join(", ")}; BullMQ ${bullmq.map(Math.round).join(", ")} tasks/s; sqld per round: ${served
      .map((stats) => `${stats.statements} statements, ${Math.round(stats.executingMs)} ms executing`)
      .join("; ")}${failures.length === 0 ? "" : `; failed rounds: ${failures.join("; ")}`}`,
  };
}
