// Where a search's time goes, stage by stage, on a store the bench kept (MEMORY_BENCH_KEEP=1):
//   node --conditions=@oxios/source --import tsx bench/search-stages.ts <dir>/memory.db [rounds] [row budget]
// The bench's 50 queries, each with a fresh suffix per round (no query-vector cache), timed
// through the public API (hybrid, vector, keyword; after a warm-up round, in rotating order;
// hybrid and keyword also with no keyword row budget, and how many of their top 10 the two
// share) and stage by stage on a second connection: the query embedding, the popcount scan of
// the bit index, the float re-rank in SQL, the FTS5 BM25 query with every word, the words'
// document frequencies, the BM25 query with the words the row budget keeps.
// Prints the p50 of each. Add --cpu-prof to see the same in a profile.
import { openDatabase } from "@oxios/database";
import { SyntheticCorpus } from "../src/__fixtures__/synthetic-corpus.ts";
import { MemoryStore } from "../src/index.ts";
import { matchAny, queryTerms, termsWithinBudget } from "../src/internal/fts-query.ts";
import { HashingEmbedder } from "../src/testing/index.ts";
import { loadSqliteVec } from "../src/vector-extension.ts";
import { VectorIndex } from "../src/vector-index.ts";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: search-stages.ts <memory.db>");
const rounds = Number(process.argv[3] ?? 3);
/** The `keywordRowBudget` to compare with none. */
const KEYWORD_ROW_BUDGET = Number(process.argv[4] ?? 20_000);
const embedder = new HashingEmbedder({ dimensions: 512 });
const bigCaps = { hot: { count: 50, tokens: 3_000 }, warm: { count: 500 }, cold: { count: 10_000_000 } };
const corpus = new SyntheticCorpus();
const queries = corpus.queries(corpus.next(10_000), 50);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1] as number;
}

function timed<T>(times: number[], work: () => T): T {
  const begin = performance.now();
  const result = work();
  times.push(performance.now() - begin);
  return result;
}

// The same store twice: with a keyword row budget, and without (the default: every query word
// in the match), query by query, to time both and compare their answers.
const store = await MemoryStore.open({
  url: `file:${path}`,
  embedder,
  tierCaps: bigCaps,
  keywordRowBudget: KEYWORD_ROW_BUDGET,
});
const uncut = await MemoryStore.open({ url: `file:${path}`, embedder, tierCaps: bigCaps });
const api = { hybrid: [] as number[], vector: [] as number[], keyword: [] as number[] };
const apiUncut = { hybrid: [] as number[], keyword: [] as number[] };
const agreement = { hybrid: [] as number[], keyword: [] as number[] };
const modes = ["hybrid", "vector", "keyword"] as const;
const ids = (hits: Array<{ entry: { id: string } }>): string[] => hits.map((hit) => hit.entry.id);
const overlap = (a: string[], b: string[]): number => a.filter((id) => b.includes(id)).length / Math.max(1, b.length);
// Round 0 warms the caches and is not counted; the order of the modes rotates query by query,
// so none of them always runs first on a query's pages.
for (let round = 0; round <= rounds; round++) {
  for (const [index, query] of queries.entries()) {
    for (let turn = 0; turn < modes.length; turn++) {
      const mode = modes[(index + turn) % modes.length] as (typeof modes)[number];
      const text = `${query} ${mode[0]}${round}${index}`;
      const begin = performance.now();
      const hits = await store.search(text, { limit: 10, mode });
      if (round > 0) api[mode].push(performance.now() - begin);
      if (mode === "vector") continue;
      const uncutBegin = performance.now();
      const uncutHits = await uncut.search(text, { limit: 10, mode });
      if (round > 0) apiUncut[mode].push(performance.now() - uncutBegin);
      agreement[mode].push(overlap(ids(hits), ids(uncutHits)));
    }
  }
}
await store.close();
await uncut.close();

const database = await openDatabase({ url: `file:${path}` });
loadSqliteVec(database);
const index = database.transaction(() => new VectorIndex(database, embedder.id, embedder.dimensions));
database.exec("CREATE VIRTUAL TABLE temp.memories_fts_vocab USING fts5vocab(main, memories_fts, row)");
const stages = {
  embed: [] as number[],
  scan: [] as number[],
  rerank: [] as number[],
  fts: [] as number[],
  vocab: [] as number[],
  ftsCut: [] as number[],
};
const matches: number[] = [];
const matchesCut: number[] = [];
const bm25 = (match: string): unknown[] =>
  database.all(
    `SELECT rowid AS seq FROM memories_fts WHERE memories_fts MATCH ?
     ORDER BY bm25(memories_fts, 1.0, 0.5, 0.5), rowid LIMIT ?`,
    [match, 20],
  );
const count = (match: string): number =>
  database.get<{ n: number }>("SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH ?", [match])?.n ?? 0;
for (let round = 0; round < rounds; round++) {
  for (const [position, query] of queries.entries()) {
    const text = `${query} s${round}${position}`;
    const vector = timed(stages.embed, () => embedder.embedOne(text));
    // The scan alone: a candidate budget of 20 re-ranks almost nothing; then the budget a
    // search of 10 uses (200), whose extra time over the scan is the re-rank.
    timed(stages.scan, () => index.nearest(vector, 10, { where: "", params: [] }, 20));
    const full: number[] = [];
    timed(full, () => index.nearest(vector, 20, { where: "", params: [] }));
    stages.rerank.push((full[0] as number) - (stages.scan[stages.scan.length - 1] as number));
    const terms = queryTerms(text);
    if (terms.length === 0) continue;
    timed(stages.fts, () => bm25(matchAny(terms)));
    const documents = timed(stages.vocab, () => {
      const rows = database.all<{ term: string; doc: number }>(
        `SELECT term, doc FROM temp.memories_fts_vocab WHERE term IN (${terms.map(() => "?").join(", ")})`,
        terms,
      );
      return new Map(rows.map((row) => [row.term, row.doc]));
    });
    const kept = termsWithinBudget(terms, documents, KEYWORD_ROW_BUDGET);
    timed(stages.ftsCut, () => bm25(matchAny(kept)));
    if (round === 0) {
      matches.push(count(matchAny(terms)));
      matchesCut.push(count(matchAny(kept)));
    }
  }
}
const memories = index.count();
database.close();
const line = (name: string, values: number[]): string => `${name.padEnd(34)} ${median(values).toFixed(2)} ms`;
console.log(`${memories} memories, ${queries.length} queries × ${rounds} rounds, p50:`);
console.log(line("search hybrid (public API)", api.hybrid));
console.log(line("search hybrid, no row budget", apiUncut.hybrid));
console.log(line("search vector (public API)", api.vector));
console.log(line("search keyword (public API)", api.keyword));
console.log(line("search keyword, no row budget", apiUncut.keyword));
console.log(line("  query embedding", stages.embed));
console.log(line("  bit-index popcount scan", stages.scan));
console.log(line("  float re-rank of 200 (SQL)", stages.rerank));
console.log(line("  FTS5 BM25 top 20, every word", stages.fts));
console.log(line("  FTS5 vocabulary lookup", stages.vocab));
console.log(line(`  FTS5 BM25 top 20, ${KEYWORD_ROW_BUDGET} row budget`, stages.ftsCut));
console.log(`  FTS5 rows matching a query: p50 ${median(matches)}, max ${Math.max(...matches)}`);
console.log(`  ... within the row budget: p50 ${median(matchesCut)}, max ${Math.max(...matchesCut)}`);
const mean = (values: number[]): string => (values.reduce((a, b) => a + b, 0) / values.length).toFixed(3);
console.log(`top 10 shared with no row budget: hybrid ${mean(agreement.hybrid)}, keyword ${mean(agreement.keyword)}`);
