// Memory benchmarks, each against its baseline in the same run:
// 1. Hybrid search (our full pipeline: query embedding, BM25 + 1,024-bit sign-code KNN with
//    exact float re-ranking, RRF) vs sqlite-vec's exact float KNN alone (`vec0` float[512],
//    k = 10) over the same vectors, at 10k and 100k synthetic memories, 50 queries,
//    interleaved query by query; p50 and p95. Recall@10 of our vector stage vs the exact KNN.
// 2. `remember` throughput: concurrent callers sharing group commits vs the same calls
//    awaited one at a time (one transaction each).
// The corpus is deterministic (seeded generator) and embedded with the hashing embedder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchCase, compareOpsPerSecond, percentile, writeBenchResults } from "@oxios/tooling/bench";
import Database from "libsql";
import * as sqliteVec from "sqlite-vec";
import { MemoryStore, type RememberInput } from "../src/index.ts";
import { HashingEmbedder } from "../src/testing/index.ts";

const DIMENSIONS = 512;
const QUERIES = 50;
const ROUNDS = 3;
const workDir = mkdtempSync(join(tmpdir(), "oxios-memory-bench-"));
const embedder = new HashingEmbedder({ dimensions: DIMENSIONS });
const bigCaps = { hot: { count: 50, tokens: 3_000 }, warm: { count: 500 }, cold: { count: 1_000_000 } };

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const random = lcg(42);
const syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve", "zu", "ar", "en", "ol", "ix", "um"];
const vocabulary = Array.from({ length: 4_000 }, () =>
  Array.from({ length: 2 + Math.floor(random() * 2) }, () => syllables[Math.floor(random() * syllables.length)]).join(
    "",
  ),
);
const topics = Array.from({ length: 200 }, () =>
  Array.from({ length: 30 }, () => Math.floor(random() * vocabulary.length)),
);
const types = ["fact", "episode", "knowledge", "decision", "procedure"] as const;

/** One synthetic memory: 8–15 words, 70 % from one topic; the serial keeps every text unique. */
function synthetic(serial: number): RememberInput {
  const topic = topics[Math.floor(random() * topics.length)] as number[];
  const length = 8 + Math.floor(random() * 8);
  const words: string[] = [];
  for (let index = 0; index < length; index++) {
    const pick =
      random() < 0.7
        ? (topic[Math.floor(random() * topic.length)] as number)
        : Math.floor(random() * vocabulary.length);
    words.push(vocabulary[pick] as string);
  }
  words.push(`n${serial}`);
  return { content: words.join(" "), type: types[serial % types.length] as (typeof types)[number], tier: "cold" };
}

const corpus: RememberInput[] = Array.from({ length: 100_000 }, (_, serial) => synthetic(serial));
const queries = Array.from({ length: QUERIES }, () => {
  const words = (corpus[Math.floor(random() * corpus.length)] as RememberInput).content.split(" ").slice(0, -1);
  return `${words.slice(0, Math.max(3, words.length - 4)).join(" ")} ${vocabulary[Math.floor(random() * vocabulary.length)]}`;
});

function blob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

const dbPath = join(workDir, "search.db");
const store = await MemoryStore.open({ url: `file:${dbPath}`, embedder, tierCaps: bigCaps });
// The baseline reads the same vectors from its own float vec0 table, through a second connection.
const exactDb = new Database(dbPath);
sqliteVec.load(exactDb as unknown as Parameters<typeof sqliteVec.load>[0]);
exactDb.exec(
  `CREATE VIRTUAL TABLE IF NOT EXISTS bench_exact USING vec0(embedding float[${DIMENSIONS}] distance_metric=cosine)`,
);
const exactInsert = exactDb.prepare("INSERT INTO bench_exact(rowid, embedding) VALUES (?, ?)");
const exactQuery = exactDb.prepare("SELECT rowid FROM bench_exact WHERE embedding MATCH ? AND k = 10");
const seqOf = exactDb.prepare("SELECT seq FROM memories WHERE id = ?");

async function grow(from: number, to: number): Promise<void> {
  const started = performance.now();
  await store.importEntries(corpus.slice(from, to));
  const rows = exactDb
    .prepare("SELECT memory_seq AS seq, vector FROM memory_embeddings WHERE memory_seq > ? ORDER BY memory_seq")
    .all([from]) as Array<{ seq: number; vector: ArrayBuffer }>;
  exactDb.transaction(() => {
    for (const row of rows) exactInsert.run([BigInt(row.seq), Buffer.from(row.vector)]);
  })();
  console.log(`corpus ${to.toLocaleString("en-US")}: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

interface SearchFigures {
  hybridP50: number;
  hybridP95: number;
  exactP50: number;
  exactP95: number;
  vectorP50: number;
  recall: number;
}

async function measureSearch(): Promise<SearchFigures> {
  const hybrid: number[] = [];
  const vector: number[] = [];
  const exact: number[] = [];
  let overlap = 0;
  let compared = 0;
  // Warm-up: one pass of every path.
  for (const query of queries.slice(0, 5)) {
    await store.search(query, { limit: 10 });
    exactQuery.all([blob(embedder.embedOne(query))]);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const query of queries) {
      let started = performance.now();
      // The exact baseline embeds its query too, so both sides pay the same embedding cost.
      const exactRows = exactQuery.all([blob(embedder.embedOne(query))]) as Array<{ rowid: number }>;
      exact.push(performance.now() - started);

      // A fresh query string each round defeats our query-vector cache, so ours embeds too.
      const text = `${query} r${round}`;
      started = performance.now();
      await store.search(text, { limit: 10 });
      hybrid.push(performance.now() - started);

      started = performance.now();
      const vectorHits = await store.search(query, { limit: 10, mode: "vector" });
      vector.push(performance.now() - started);
      if (round === 0) {
        const truth = new Set(exactRows.map((row) => row.rowid));
        for (const hit of vectorHits) {
          const seq = (seqOf.get([hit.entry.id]) as { seq: number }).seq;
          if (truth.has(seq)) overlap += 1;
        }
        compared += truth.size;
      }
    }
  }
  return {
    hybridP50: percentile(hybrid, 50),
    hybridP95: percentile(hybrid, 95),
    exactP50: percentile(exact, 50),
    exactP95: percentile(exact, 95),
    vectorP50: percentile(vector, 50),
    recall: overlap / compared,
  };
}

const cases: BenchCase[] = [];
function searchCases(size: string, figures: SearchFigures, goal: boolean): void {
  console.log(`${size}: ${JSON.stringify(figures)}`);
  cases.push(
    {
      name: `hybrid search p50 @${size}`,
      ours: figures.hybridP50,
      baseline: figures.exactP50,
      baselineName: "sqlite-vec exact float KNN p50",
      unit: "ms",
      better: "lower",
      ...(goal ? { goal: { atMost: 0.5 } } : {}),
      notes: `vector stage alone p50 ${figures.vectorP50.toFixed(2)} ms`,
    },
    {
      name: `hybrid search p95 @${size}`,
      ours: figures.hybridP95,
      baseline: figures.exactP95,
      baselineName: "sqlite-vec exact float KNN p95",
      unit: "ms",
      better: "lower",
    },
    {
      name: `vector recall@10 vs exact @${size}`,
      ours: figures.recall,
      baseline: 1,
      baselineName: "exact KNN (itself)",
      unit: "recall",
      better: "higher",
      ...(goal ? { goal: { atLeast: 0.95 } } : {}),
    },
  );
}

await grow(0, 10_000);
searchCases("10k", await measureSearch(), false);
await grow(10_000, 100_000);
searchCases("100k", await measureSearch(), true);
exactDb.close();
await store.close();

// remember throughput: one store per contender, fed unique texts.
const writerA = await MemoryStore.open({ url: `file:${join(workDir, "group.db")}`, embedder, tierCaps: bigCaps });
const writerB = await MemoryStore.open({ url: `file:${join(workDir, "single.db")}`, embedder, tierCaps: bigCaps });
let serial = 1_000_000;
const rates = await compareOpsPerSecond(
  {
    groupCommit: async (count) => {
      await Promise.all(Array.from({ length: count }, () => writerA.remember(synthetic(serial++))));
    },
    oneTransactionPerInsert: async (count) => {
      for (let index = 0; index < count; index++) await writerB.remember(synthetic(serial++));
    },
  },
  { iterations: 400, rounds: 5 },
);
await writerA.close();
await writerB.close();
cases.push({
  name: "remember throughput",
  ours: rates.groupCommit ?? Number.NaN,
  baseline: rates.oneTransactionPerInsert ?? Number.NaN,
  baselineName: "awaited one at a time (1 txn each)",
  unit: "memories/s",
  better: "higher",
  goal: { atLeast: 10 },
  notes: "400 concurrent remember() calls per round, synchronous=FULL, WAL",
});

rmSync(workDir, { recursive: true, force: true });
writeBenchResults(fileURLToPath(new URL("..", import.meta.url)), cases);
