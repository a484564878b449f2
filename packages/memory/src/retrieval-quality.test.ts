// Retrieval quality with the default embedder (Universal Sentence Encoder lite): paraphrased
// queries that share few words with their memory must still find it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pairs from "./__fixtures__/paraphrase-pairs.json" with { type: "json" };
import { queryTerms } from "./internal/fts-query.ts";
import type { MemoryStore } from "./memory-store.ts";
import { openTestStore, removeTempDatabases } from "./test-support.ts";
import { UniversalSentenceEncoderEmbedder } from "./universal-sentence-encoder.ts";

let store: MemoryStore;
const ids: string[] = [];

beforeAll(async () => {
  ({ store } = await openTestStore({ embedder: new UniversalSentenceEncoderEmbedder() }));
  const entries = await Promise.all(pairs.map((pair) => store.remember({ content: pair.memory, type: "fact" })));
  ids.push(...entries.map((entry) => entry.id));
});

afterAll(async () => {
  await store.close();
  removeTempDatabases();
});

describe("retrieval quality (default embedder)", () => {
  it("the fixture pairs share few words", () => {
    expect(pairs.length).toBeGreaterThanOrEqual(30);
    const shared = pairs.map((pair) => {
      const memoryWords = new Set(queryTerms(pair.memory));
      return queryTerms(pair.query).filter((word) => memoryWords.has(word)).length;
    });
    expect(shared.filter((count) => count === 0).length / pairs.length).toBeGreaterThanOrEqual(0.8);
  });

  it("hybrid search puts the right memory in the top 3 for at least 80% of paraphrased queries", async () => {
    let found = 0;
    const misses: string[] = [];
    for (const [index, pair] of pairs.entries()) {
      const hits = await store.search(pair.query, { limit: 3 });
      if (hits.some((hit) => hit.entry.id === ids[index])) found += 1;
      else misses.push(pair.query);
    }
    const rate = found / pairs.length;
    console.log(
      `retrieval: ${found}/${pairs.length} in top 3 (${(rate * 100).toFixed(1)}%); misses: ${misses.join(" | ")}`,
    );
    expect(rate).toBeGreaterThanOrEqual(0.8);
  });
});
