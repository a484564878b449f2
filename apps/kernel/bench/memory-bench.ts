// The cluster bench's memory row: hybrid search through sqld against the embedded file, on the
// same memories (the memory bench's synthetic corpus, 512-d hashing embedder), the same 50
// queries interleaved query by query, three rounds (each with fresh query texts), p50 of each;
// and whether both return the same hits (content, fused score, vector and keyword ranks, in
// order) for every query.
//
// Loading: the corpus is written once into an embedded file through `importEntries`, and sqld
// serves a copy of that file (`startSqld({ seed })`). Writing 100,000 memories through sqld
// statement by statement takes about 100 memories/s on this two-core machine (about 17 minutes
// for 100k), so that path is measured at IMPORT_SAMPLE more memories only, against the same
// import into the embedded file, as a row of its own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@oxios/core/testing";
import { openDatabase } from "@oxios/database";
import { MemoryStore, type SearchHit } from "@oxios/memory";
import { HashingEmbedder } from "@oxios/memory/testing";
import { type BenchCase, percentile } from "@oxios/tooling/bench";
import { startSqld } from "@oxios/tooling/sqld";
import { SyntheticCorpus } from "../../../packages/memory/src/__fixtures__/synthetic-corpus.ts";

const QUERIES = 50;
const ROUNDS = 3;
const IMPORT_SAMPLE = 1_000;
const CHUNK = 50_000;
const START = Date.parse("2026-11-30T00:00:00Z");
const tierCaps = { hot: { count: 50, tokens: 3_000 }, warm: { count: 500 }, cold: { count: 10_000_000 } };

/** What must match embedded and served, in order. */
function comparable(hits: SearchHit[]): string {
  return JSON.stringify(
    hits.map((hit) => [hit.entry.content, hit.score.toFixed(9), hit.vectorRank ?? null, hit.keywordRank ?? null]),
  );
}

function settings() {
  return { embedder: new HashingEmbedder({ dimensions: 512 }), clock: new ManualClock(START), tierCaps };
}

/** Imports `size` memories into a fresh embedded file; returns its path. */
async function buildFile(
  dir: string,
  corpus: SyntheticCorpus,
  first: ReturnType<SyntheticCorpus["next"]>,
  size: number,
) {
  const path = join(dir, "memory.db");
  const store = await MemoryStore.open({ url: `file:${path}`, ...settings() });
  let built = 0;
  while (built < size) {
    const chunk = built === 0 ? first : corpus.next(Math.min(CHUNK, size - built));
    await store.importEntries(chunk);
    built += chunk.length;
  }
  await store.close();
  // Everything in the main file, so a copy of it alone is the whole database.
  const database = await openDatabase({ url: `file:${path}` });
  database.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  database.close();
  return path;
}

/** Memories per second of one `importEntries` of `inputs` into a store opened on `url`. */
async function importRate(url: string, inputs: ReturnType<SyntheticCorpus["next"]>): Promise<number> {
  const store = await MemoryStore.open({ url, ...settings() });
  try {
    const started = performance.now();
    await store.importEntries(inputs);
    return (inputs.length / (performance.now() - started)) * 1000;
  } finally {
    await store.close();
  }
}

export async function benchMemory(options: { memories: number }): Promise<BenchCase[]> {
  const dir = mkdtempSync(join(tmpdir(), "oxios-cluster-memory-"));
  const corpus = new SyntheticCorpus();
  const first = corpus.next(Math.min(options.memories, 10_000));
  const queries = corpus.queries(first, QUERIES);
  try {
    let started = performance.now();
    const path = await buildFile(dir, corpus, first, options.memories);
    console.log(`memory: ${options.memories} memories built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    started = performance.now();
    const sqld = await startSqld({ seed: path });
    console.log(`memory: sqld serving them after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const times = { embedded: [] as number[], served: [] as number[] };
    let same = 0;
    let compared = 0;
    const differing: string[] = [];
    try {
      const embedded = await MemoryStore.open({ url: `file:${path}`, ...settings() });
      const served = await MemoryStore.open({ url: sqld.url, ...settings() });
      try {
        for (const query of queries.slice(0, 5)) {
          await embedded.search(query, { limit: 10 });
          await served.search(query, { limit: 10 });
        }
        for (let round = 0; round < ROUNDS; round++) {
          for (const [index, query] of queries.entries()) {
            // A fresh text each round defeats the query-vector cache on both sides.
            const text = round === 0 ? query : `${query} r${round}`;
            // Alternate who goes first, so neither always finds the OS page cache warmed by the other.
            const order =
              (index + round) % 2 === 0 ? (["embedded", "served"] as const) : (["served", "embedded"] as const);
            const hits: Partial<Record<"embedded" | "served", SearchHit[]>> = {};
            for (const side of order) {
              const store = side === "embedded" ? embedded : served;
              const begin = performance.now();
              hits[side] = await store.search(text, { limit: 10 });
              times[side].push(performance.now() - begin);
            }
            compared++;
            if (comparable(hits.embedded ?? []) === comparable(hits.served ?? [])) same++;
            else if (differing.length < 3) differing.push(text);
          }
        }
      } finally {
        await embedded.close();
        await served.close();
      }
      console.log(
        `memory: hybrid p50 served ${percentile(times.served, 50).toFixed(2)} ms, embedded ${percentile(times.embedded, 50).toFixed(2)} ms; same results ${same}/${compared}`,
      );
      if (differing.length > 0) console.log(`memory: differing results for ${JSON.stringify(differing)}`);

      // The write path, at a sample: the next memories of the corpus into both databases.
      const sample = corpus.next(IMPORT_SAMPLE);
      const servedRate = await importRate(sqld.url, sample);
      const embeddedRate = await importRate(`file:${path}`, sample);
      console.log(`memory: import ${servedRate.toFixed(0)}/s through sqld, ${embeddedRate.toFixed(0)}/s embedded`);
      const label = options.memories.toLocaleString("en-US");
      return [
        {
          name: `memory: hybrid search through sqld at ${label} memories, p50 (${QUERIES} queries × ${ROUNDS})`,
          ours: percentile(times.served, 50),
          baseline: percentile(times.embedded, 50),
          baselineName: "embedded file",
          unit: "ms",
          better: "lower",
          goal: { atMost: 2 },
          notes: `p95 served ${percentile(times.served, 95).toFixed(2)} ms, embedded ${percentile(times.embedded, 95).toFixed(2)} ms`,
        },
        {
          name: `memory: queries whose hybrid hits are the same through sqld as embedded, at ${label} memories`,
          ours: same,
          baseline: compared,
          baselineName: "queries",
          unit: "queries",
          better: "higher",
          goal: { atLeast: 1 },
          ...(differing.length === 0 ? {} : { notes: `differing, e.g. ${differing.join(" | ")}` }),
        },
        {
          name: `memory: importEntries of ${IMPORT_SAMPLE.toLocaleString("en-US")} more memories through sqld, at ${label}`,
          ours: servedRate,
          baseline: embeddedRate,
          baselineName: "into the embedded file",
          unit: "memories/s",
          better: "higher",
          notes: "why the search row's corpus is loaded into sqld as a copy of the embedded file",
        },
      ];
    } finally {
      await sqld.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
