/**
 * Memory on a served database (sqld started on 127.0.0.1 by `@oxios/tooling/sqld`, sqlite-vec
 * preloaded): the same `vec0` + FTS5 schema as a file, so hybrid search returns the same
 * memories in the same order, with the same ranks, embedded or served — and a memory written
 * through one store (node A) is found by a paraphrase through another on the same server
 * (node C).
 */

import { ManualClock } from "@oxios/core/testing";
import { type SqldServer, startSqld } from "@oxios/tooling/sqld";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pairs from "./__fixtures__/paraphrase-pairs.json" with { type: "json" };
import { MemoryStore, type SearchHit, type SearchOptions } from "./memory-store.ts";
import { removeTempDatabases, tempDatabase } from "./test-support.ts";
import { UniversalSentenceEncoderEmbedder } from "./universal-sentence-encoder.ts";

const START = Date.parse("2026-11-30T00:00:00Z");

/** What must match embedded and served: which memory, in which place, from which list. */
function comparable(hits: SearchHit[]) {
  return hits.map((hit) => ({
    content: hit.entry.content,
    score: hit.score,
    vectorRank: hit.vectorRank,
    keywordRank: hit.keywordRank,
    distance: hit.distance === undefined ? undefined : Math.round(hit.distance * 1e6) / 1e6,
  }));
}

let server: SqldServer;
let embedded: MemoryStore;
let nodeA: MemoryStore;
let nodeC: MemoryStore;

beforeAll(async () => {
  server = await startSqld();
  const embedder = new UniversalSentenceEncoderEmbedder();
  const settings = { embedder, clock: new ManualClock(START) };
  embedded = await MemoryStore.open({ url: `file:${tempDatabase()}`, ...settings });
  nodeA = await MemoryStore.open({ url: server.url, ...settings });
  nodeC = await MemoryStore.open({ url: server.url, ...settings });
  for (const pair of pairs) {
    await embedded.remember({ content: pair.memory, type: "fact" });
    await nodeA.remember({ content: pair.memory, type: "fact" });
  }
}, 240_000);

afterAll(async () => {
  await embedded?.close();
  await nodeA?.close();
  await nodeC?.close();
  await server?.close();
  removeTempDatabases();
});

describe("memory on sqld", () => {
  it("uses sqlite-vec on the server: vectors are on", () => {
    const stats = nodeC.stats();
    expect(stats.vectorStatus.enabled).toBe(true);
    expect(stats.vectors).toBe(pairs.length);
    expect(stats.mode).not.toBe("keyword-only");
  });

  for (const mode of ["hybrid", "vector", "keyword"] as const) {
    it(`${mode} search returns the same results embedded and served`, async () => {
      const options: SearchOptions = { limit: 5, mode };
      for (const pair of pairs) {
        const query = mode === "keyword" ? pair.memory.split(" ").slice(1, 4).join(" ") : pair.query;
        const local = comparable(await embedded.search(query, options));
        const served = comparable(await nodeC.search(query, options));
        expect(served).toEqual(local);
        expect(served.length).toBeGreaterThan(0);
        if (mode !== "keyword") expect(served.length).toBe(5);
      }
      // The encoder's first queries are slow on a loaded machine: a count-bound test, not a timed one.
    }, 180_000);
  }

  it("finds a memory written through node A by a paraphrase through node C", async () => {
    const pair = pairs[0];
    const hits = await nodeC.search(pair?.query ?? "", { limit: 3 });
    expect(hits.map((hit) => hit.entry.content)).toContain(pair?.memory);
  });

  it("refuses to open with vectors on a server without sqlite-vec", async () => {
    const bare = await startSqld({ extensions: false });
    try {
      await expect(
        MemoryStore.open({ url: bare.url, embedder: new UniversalSentenceEncoderEmbedder() }),
      ).rejects.toMatchObject({
        code: "MEMORY_VECTOR_UNAVAILABLE",
        message: expect.stringMatching(/--extensions-path/),
      });
      const keywordOnly = await MemoryStore.open({ url: bare.url, keywordOnly: true });
      await keywordOnly.remember({ content: "keyword search works without the extension", type: "fact" });
      expect((await keywordOnly.search("extension"))[0]?.entry.content).toBe(
        "keyword search works without the extension",
      );
      await keywordOnly.close();
    } finally {
      await bare.close();
    }
  });
});
