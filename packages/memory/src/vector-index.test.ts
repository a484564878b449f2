// The vector index through the store: recall on a fixed clustered corpus with paraphrase-like
// queries, filters chosen before truncation, exact results whenever every allowed memory is a
// candidate, the index snapshot, and a failed write transaction leaving no trace in the index.
import { createMemoryLogger } from "@oxios/core/testing";
import Database from "libsql";
import * as sqliteVec from "sqlite-vec";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SyntheticCorpus } from "./__fixtures__/synthetic-corpus.ts";
import { HashingEmbedder } from "./hashing-embedder.ts";
import { MemoryStore } from "./memory-store.ts";
import { openTestStore, removeTempDatabases, type TestStore, tempDatabase } from "./test-support.ts";

type RawDatabase = InstanceType<typeof Database>;

function raw(path: string): RawDatabase {
  const db = new Database(path);
  sqliteVec.load(db as unknown as Parameters<typeof sqliteVec.load>[0]);
  return db;
}

/** Exact cosine KNN over every stored vector of the memories `where` allows: the reference. */
function exactIds(db: RawDatabase, vector: Float32Array, limit: number, where = "1 = 1", params: unknown[] = []) {
  return (
    db
      .prepare(
        `SELECT m.id AS id FROM memory_embeddings e JOIN memories m ON m.seq = e.memory_seq WHERE ${where}
         ORDER BY vec_distance_cosine(e.vector, ?), e.memory_seq LIMIT ?`,
      )
      .all([...params, Buffer.from(vector.buffer), limit]) as Array<{ id: string }>
  ).map((row) => row.id);
}

const embedder = new HashingEmbedder();
const bigCaps = { hot: { count: 50, tokens: 3_000 }, warm: { count: 500 }, cold: { count: 100_000 } };

describe("recall on a clustered corpus of 10,000 memories", () => {
  const path = tempDatabase();
  const corpus = new SyntheticCorpus();
  const memories = corpus.next(10_000).map((input, index) => ({
    ...input,
    // Every 50th memory in one space: a narrow filter; the types (a fifth each) a broad one.
    ...(index % 50 === 0 ? { spaceId: "narrow" } : {}),
  }));
  const queries = corpus.queries(memories, 40);
  let store: MemoryStore;
  let db: RawDatabase;

  beforeAll(async () => {
    store = await MemoryStore.open({ url: `file:${path}`, embedder, tierCaps: bigCaps });
    await store.importEntries(memories);
    db = raw(path);
  });

  afterAll(async () => {
    db.close();
    await store.close();
    removeTempDatabases();
  });

  it("recall@10 of the vector search against exact KNN is at least 0.95", async () => {
    let overlap = 0;
    for (const query of queries) {
      const truth = new Set(exactIds(db, embedder.embedOne(query), 10));
      const hits = await store.search(query, { mode: "vector", limit: 10 });
      overlap += hits.filter((hit) => truth.has(hit.entry.id)).length;
    }
    expect(overlap / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
  });

  it("a broad filter chooses the candidates before truncation: every hit passes it, recall holds", async () => {
    let overlap = 0;
    for (const query of queries) {
      const truth = new Set(exactIds(db, embedder.embedOne(query), 10, "m.memory_type = ?", ["decision"]));
      const hits = await store.search(query, { mode: "vector", limit: 10, types: ["decision"] });
      expect(hits).toHaveLength(10);
      expect(hits.every((hit) => hit.entry.type === "decision")).toBe(true);
      overlap += hits.filter((hit) => truth.has(hit.entry.id)).length;
    }
    expect(overlap / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
  });

  it("when the filter allows no more memories than the candidate budget, the result is the exact search", async () => {
    for (const query of queries.slice(0, 10)) {
      const truth = exactIds(
        db,
        embedder.embedOne(query),
        10,
        "m.seq IN (SELECT memory_seq FROM memory_spaces WHERE space_id = ?)",
        ["narrow"],
      );
      const hits = await store.search(query, { mode: "vector", limit: 10, spaceId: "narrow" });
      expect(hits.map((hit) => hit.entry.id)).toEqual(truth);
    }
  });
});

describe("the index across restarts and failed writes", () => {
  const open: TestStore[] = [];
  afterEach(async () => {
    for (const test of open.splice(0)) await test.store.close();
    removeTempDatabases();
  });

  it("a clean close leaves a snapshot the next open loads; a write after it sends the open back to the table", async () => {
    const test = await openTestStore({ tierCaps: bigCaps });
    for (let index = 0; index < 30; index++) {
      await test.store.remember({ content: `note ${index} on topic ${index % 4} kept for later`, type: "fact" });
    }
    await test.store.close();
    const logger = createMemoryLogger();
    const again = await test.reopen({ logger });
    open.push({ ...test, store: again });
    expect(logger.find("info", "vector index loaded")[0]?.fields).toMatchObject({
      source: "snapshot",
      codes: 30,
    });
    await again.remember({ content: "written after the snapshot was taken", type: "fact" });
    // A crash: the store is abandoned without close, so no new snapshot is written.
    const afterCrash = createMemoryLogger();
    const third = await test.reopen({ logger: afterCrash });
    open.push({ ...test, store: third });
    expect(afterCrash.find("info", "vector index loaded")[0]?.fields).toMatchObject({
      source: "table",
      codes: 31,
    });
    const hits = await third.search("written after the snapshot was taken", { mode: "vector", limit: 1 });
    expect(hits[0]?.entry.content).toBe("written after the snapshot was taken");
  });

  it("a write transaction that fails after touching the index leaves the index as the table is", async () => {
    const test = await openTestStore({ tierCaps: bigCaps });
    open.push(test);
    await test.store.remember({ content: "the first memory stays", type: "fact" });
    const db = raw(test.path);
    db.exec(`CREATE TRIGGER refuse_space BEFORE INSERT ON memory_spaces WHEN NEW.space_id = 'refused'
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;`);
    db.close();
    // The memory row and its vector are written, then linking the space fails: all rolled back.
    await expect(
      test.store.remember({ content: "this one never lands", type: "fact", spaceId: "refused" }),
    ).rejects.toThrow(/refused by the test/);
    expect(test.store.stats()).toMatchObject({ memories: 1, vectors: 1 });
    const hits = await test.store.search("this one never lands", { mode: "vector", limit: 5 });
    expect(hits.map((hit) => hit.entry.content)).toEqual(["the first memory stays"]);
  });

  it("memories written in keyword-only mode get their vectors on the next open with vectors", async () => {
    const test = await openTestStore({ keywordOnly: true });
    await test.store.remember({ content: "remembered while vectors were off", type: "fact" });
    await test.store.remember({ content: "another one without a vector", type: "fact" });
    await test.store.close();
    const again = await test.reopen({ keywordOnly: false });
    open.push({ ...test, store: again });
    await again.reembedIdle();
    expect(again.stats()).toMatchObject({ memories: 2, vectors: 2 });
    const [hit] = await again.search("remembered while vectors were off", { mode: "vector", limit: 1 });
    expect(hit?.entry.content).toBe("remembered while vectors were off");
  });

  it("a re-embed stopped by close resumes on the next open", async () => {
    const test = await openTestStore({ tierCaps: bigCaps });
    for (let index = 0; index < 70; index++) {
      await test.store.remember({ content: `memory ${index} about topic ${index % 7}`, type: "fact" });
    }
    await test.store.close();
    // A new model of the same width (so the codes' format is unchanged) answers the first batch
    // of 64, then holds the second until released.
    const hashing = new HashingEmbedder();
    const inner = {
      id: "hashing-renamed-512",
      dimensions: hashing.dimensions,
      embed: (texts: readonly string[]) => hashing.embed(texts),
    };
    let calls = 0;
    let release: (() => void) | undefined;
    let secondStarted: (() => void) | undefined;
    const started = new Promise<void>((resolve) => {
      secondStarted = resolve;
    });
    const held = {
      id: inner.id,
      dimensions: inner.dimensions,
      embed: async (texts: readonly string[]) => {
        calls += 1;
        if (calls === 2) {
          secondStarted?.();
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        }
        return inner.embed(texts);
      },
    };
    const interrupted = await test.reopen({ embedder: held });
    await started;
    // Close stops the re-embed after the batch in flight (which it waits for) is embedded.
    const closing = interrupted.close();
    release?.();
    await closing;
    const again = await test.reopen({ embedder: inner });
    open.push({ ...test, store: again });
    await again.reembedIdle();
    expect(again.stats()).toMatchObject({ memories: 70, vectors: 70, reembed: { running: false } });
    const [hit] = await again.search("memory 68 about topic 5", { mode: "vector", limit: 1 });
    expect(hit?.entry.content).toBe("memory 68 about topic 5");
  });

  it("a write through another connection is seen: the index reloads when the stamp moved", async () => {
    const path = tempDatabase();
    const first = await MemoryStore.open({ url: `file:${path}`, embedder, tierCaps: bigCaps });
    const second = await MemoryStore.open({ url: `file:${path}`, embedder, tierCaps: bigCaps });
    await first.remember({ content: "written by the first store", type: "fact" });
    await second.remember({ content: "written by the second store", type: "fact" });
    const hits = await first.search("written by the second store", { mode: "vector", limit: 1 });
    expect(hits[0]?.entry.content).toBe("written by the second store");
    expect(first.stats().vectors).toBe(2);
    await second.close();
    await first.close();
  });
});
