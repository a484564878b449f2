// Builds a store of the bench's synthetic corpus, the way bench/run.ts grows its own, without
// the exact-KNN and LanceDB baselines — for bench/search-stages.ts:
//   node --conditions=@oxios/source --import tsx bench/build-store.ts <dir> 100k,1M
// Writes <dir>/memory-<size>.db for each size (the store as it was when it reached that size).
import { copyFileSync, renameSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { SyntheticCorpus } from "../src/__fixtures__/synthetic-corpus.ts";
import { MemoryStore } from "../src/index.ts";
import { HashingEmbedder } from "../src/testing/index.ts";

const dir = process.argv[2];
if (dir === undefined) throw new Error("usage: build-store.ts <dir> [sizes, e.g. 100k,1M]");
const parse = (text: string): number => {
  const match = /^(\d+)([kM]?)$/.exec(text.trim());
  if (match === null) throw new Error(`bad size ${text}`);
  return Number(match[1]) * (match[2] === "M" ? 1_000_000 : match[2] === "k" ? 1_000 : 1);
};
const sizes = (process.argv[3] ?? "100k,1M").split(",").map(parse);
const embedder = new HashingEmbedder({ dimensions: 512 });
const bigCaps = { hot: { count: 50, tokens: 3_000 }, warm: { count: 500 }, cold: { count: 10_000_000 } };
const corpus = new SyntheticCorpus();
const firstChunk = corpus.next(10_000);
corpus.queries(firstChunk, 50);
const path = join(dir, "memory.db");
let built = 0;
const started = performance.now();
for (const size of sizes) {
  const store = await MemoryStore.open({ url: `file:${path}`, embedder, tierCaps: bigCaps });
  while (built < size) {
    const chunk = built === 0 ? firstChunk : corpus.next(Math.min(50_000, size - built));
    await store.importEntries(chunk);
    built += chunk.length;
  }
  await store.close();
  if (size === sizes[sizes.length - 1]) renameSync(path, join(dir, `memory-${size}.db`));
  else copyFileSync(path, join(dir, `memory-${size}.db`));
  console.log(
    `${size} memories after ${((performance.now() - started) / 1000).toFixed(0)} s, load ${loadavg()[0]?.toFixed(1)}`,
  );
}
