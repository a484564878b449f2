// The store under test, in a process of its own, so its open time is a real restart and its
// resident memory is its own (the baselines live in the parent). The parent sends one request
// at a time over IPC; every latency is measured here, around the call alone.
import { readFileSync } from "node:fs";
import { openDatabase } from "@oxios/database";
import Database from "libsql";
import { MemoryStore } from "../src/index.ts";
import { HashingEmbedder } from "../src/testing/index.ts";
import { loadSqliteVec } from "../src/vector-extension.ts";
import { VectorIndex } from "../src/vector-index.ts";

export type WorkerRequest =
  | { kind: "search"; text: string; mode: "hybrid" | "vector" }
  | { kind: "sweep"; queries: string[]; candidates: number[]; rounds: number }
  | { kind: "memory" }
  | { kind: "close" };

export type WorkerReply =
  | { kind: "opened"; openMs: number; rss: number; peakRss: number; memories: number }
  | { kind: "searched"; ms: number; seqs: number[] }
  | { kind: "swept"; points: Array<{ candidates: number; p50: number; seqs: number[][] }> }
  | { kind: "memory"; rss: number; peakRss: number }
  | { kind: "closed" };

const path = process.argv[2] as string;
const embedder = new HashingEmbedder({ dimensions: 512 });
const bigCaps = { hot: { count: 50, tokens: 3_000 }, warm: { count: 500 }, cold: { count: 10_000_000 } };

function memoryFigures(): { rss: number; peakRss: number } {
  const status = readFileSync("/proc/self/status", "utf8");
  const peak = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return { rss: process.memoryUsage().rss, peakRss: peak === undefined ? Number.NaN : Number(peak) * 1024 };
}

function reply(message: WorkerReply): void {
  process.send?.(message);
}

const started = performance.now();
const store = await MemoryStore.open({ url: `file:${path}`, embedder, tierCaps: bigCaps });
const openMs = performance.now() - started;
const lookup = new Database(path, { readonly: true });
const seqOf = lookup.prepare("SELECT seq FROM memories WHERE id = ?");
reply({ kind: "opened", openMs, ...memoryFigures(), memories: store.stats().memories });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1] as number;
}

async function sweep(request: Extract<WorkerRequest, { kind: "sweep" }>): Promise<void> {
  // The vector stage alone at several candidate budgets, through the same index code on a
  // second connection (the store's own index is private).
  const database = await openDatabase({ url: `file:${path}` });
  loadSqliteVec(database);
  const index = database.transaction(() => new VectorIndex(database, embedder.id, embedder.dimensions));
  const points: Array<{ candidates: number; p50: number; seqs: number[][] }> = [];
  for (const candidates of request.candidates) {
    const times: number[] = [];
    const seqs: number[][] = [];
    for (let round = 0; round < request.rounds; round++) {
      for (const query of request.queries) {
        const begin = performance.now();
        const hits = index.nearest(embedder.embedOne(query), 10, { where: "", params: [] }, candidates);
        times.push(performance.now() - begin);
        if (round === 0) seqs.push(hits.map((hit) => hit.seq));
      }
    }
    points.push({ candidates, p50: median(times), seqs });
  }
  database.close();
  reply({ kind: "swept", points });
}

async function handle(message: WorkerRequest): Promise<void> {
  if (message.kind === "search") {
    const begin = performance.now();
    const hits = await store.search(message.text, { limit: 10, mode: message.mode });
    const ms = performance.now() - begin;
    reply({
      kind: "searched",
      ms,
      seqs: hits.map((hit) => (seqOf.get([hit.entry.id]) as { seq: number }).seq),
    });
  } else if (message.kind === "sweep") {
    await sweep(message);
  } else if (message.kind === "memory") {
    reply({ kind: "memory", ...memoryFigures() });
  } else {
    await store.close();
    lookup.close();
    reply({ kind: "closed" });
    process.disconnect();
  }
}

process.on("message", (message: WorkerRequest) => {
  handle(message).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
