import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { KernelError, SecretRedactor } from "@oxios/core";
import { settle } from "@oxios/core/testing";
import { openDatabase } from "@oxios/database";
import Database from "libsql";
import * as sqliteVec from "sqlite-vec";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HashingEmbedder } from "./hashing-embedder.ts";
import { MAX_CONTENT_LENGTH, MAX_QUERY_LENGTH } from "./limits.ts";
import { MemoryStore } from "./memory-store.ts";
import { recallQuery } from "./recall-query.ts";
import { openTestStore, removeTempDatabases, type TestStore, tempDatabase } from "./test-support.ts";

const open: TestStore[] = [];
async function fresh(options: Parameters<typeof openTestStore>[0] = {}): Promise<TestStore> {
  const test = await openTestStore(options);
  open.push(test);
  return test;
}

afterEach(async () => {
  for (const test of open.splice(0)) await test.store.close();
  removeTempDatabases();
});

function raw(path: string): InstanceType<typeof Database> {
  const db = new Database(path);
  sqliteVec.load(db as unknown as Parameters<typeof sqliteVec.load>[0]);
  return db;
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    expect(KernelError.hasCode(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
    return;
  }
  throw new Error(`expected ${code}, but nothing was thrown`);
}

describe("MemoryStore CRUD", () => {
  it("remembers, gets, lists, updates, pins, protects and forgets", async () => {
    const { store, events } = await fresh();
    const entry = await store.remember({
      content: "The deploy key lives in the ops vault",
      type: "fact",
      tags: ["ops"],
      spaceId: "space-a",
      sessionId: "s1",
      source: "chat",
    });
    expect(entry).toMatchObject({
      type: "fact",
      tier: "warm",
      protection: "none",
      importance: 0.7,
      tags: ["ops"],
      spaceIds: ["space-a"],
      sessionId: "s1",
      source: "chat",
      accessCount: 0,
      pinned: false,
    });
    expect(await store.get(entry.id)).toEqual(entry);
    expect((await store.list()).map((item) => item.id)).toEqual([entry.id]);

    const pinned = await store.pin(entry.id);
    expect(pinned.pinned).toBe(true);
    const guarded = await store.protect(entry.id, "high");
    expect(guarded.protection).toBe("high");
    const changed = await store.update(entry.id, { tags: ["ops", "secrets"], importance: 0.9 });
    expect(changed).toMatchObject({ tags: ["ops", "secrets"], importance: 0.9, content: entry.content });

    expect(await store.forget(entry.id)).toBe(true);
    expect(await store.forget(entry.id)).toBe(false);
    expect(await store.get(entry.id)).toBeUndefined();
    expect(events.types()).toEqual(["memory.stored", "memory.forgotten"]);
    expect(events.ofType("memory.stored")[0]?.payload).toEqual({
      memoryId: entry.id,
      memoryType: "fact",
      tier: "warm",
      spaceId: "space-a",
    });
    await expectCode(store.update(entry.id, { importance: 0.1 }), "MEMORY_NOT_FOUND");
  });

  it("update keeps the rowid and replaces the one vector (no orphan)", async () => {
    const { store, path } = await fresh();
    const first = await store.remember({
      content: "tabs are preferred over spaces for indentation",
      type: "preference",
    });
    await store.remember({ content: "the build runs on two cores", type: "fact" });
    const db = raw(path);
    const seqBefore = (db.prepare("SELECT seq FROM memories WHERE id = ?").get([first.id]) as { seq: number }).seq;
    await store.update(first.id, { content: "coffee is brewed at seven every morning" });
    const seqAfter = (db.prepare("SELECT seq FROM memories WHERE id = ?").get([first.id]) as { seq: number }).seq;
    expect(seqAfter).toBe(seqBefore);
    const vectorRows = db.prepare("SELECT count(*) AS n FROM memory_codes").get([]) as { n: number };
    const embeddingRows = db.prepare("SELECT count(*) AS n FROM memory_embeddings").get([]) as { n: number };
    expect(vectorRows.n).toBe(2);
    expect(embeddingRows.n).toBe(2);
    const orphans = db
      .prepare("SELECT count(*) AS n FROM memory_codes WHERE memory_seq NOT IN (SELECT seq FROM memories)")
      .get([]) as { n: number };
    expect(orphans.n).toBe(0);
    db.close();

    const byNew = await store.search("coffee brewed at seven", { mode: "vector", limit: 1 });
    expect(byNew[0]?.entry.id).toBe(first.id);
    expect(byNew[0]?.distance).toBeLessThan(0.5);
    const byOld = await store.search("tabs preferred over spaces", { mode: "keyword" });
    expect(byOld.map((hit) => hit.entry.id)).not.toContain(first.id);
    expect(store.stats()).toMatchObject({ memories: 2, vectors: 2 });
  });

  it("deduplicates by content hash and by near-duplicate vector, merging tags and spaces", async () => {
    const { store, events } = await fresh();
    const first = await store.remember({ content: "Ship the release on Friday", type: "decision", tags: ["a"] });
    const sameText = await store.remember({
      content: "  ship the   release on friday ",
      type: "decision",
      tags: ["b"],
      spaceId: "space-x",
    });
    expect(sameText.id).toBe(first.id);
    expect(sameText.tags).toEqual(["a", "b"]);
    expect(sameText.spaceIds).toEqual(["space-x"]);
    // Same words, different punctuation: a different hash, but a vector within 0.05.
    const near = await store.remember({ content: "Ship the release on Friday!!", type: "decision" });
    expect(near.id).toBe(first.id);
    const other = await store.remember({ content: "Rotate the database credentials monthly", type: "procedure" });
    expect(other.id).not.toBe(first.id);
    expect(store.stats().memories).toBe(2);
    expect(events.ofType("memory.stored")).toHaveLength(2);
  });

  it("deduplicates within one group-committed batch", async () => {
    const { store } = await fresh();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.remember({ content: "one and the same memory", type: "fact" })),
    );
    expect(new Set(results.map((entry) => entry.id)).size).toBe(1);
    expect(store.stats().memories).toBe(1);
  });
});

describe("search", () => {
  it("applies filters inside the candidate queries, before truncation", async () => {
    const { store } = await fresh();
    // 60 episodes that match the query strongly, 3 facts that match weakly.
    for (let index = 0; index < 60; index++) {
      await store.remember({ content: `database migration failed again on node ${index}`, type: "episode" });
    }
    const facts = [];
    for (let index = 0; index < 3; index++) {
      facts.push(
        await store.remember({
          content: `the database fact number ${index} concerns backups`,
          type: "fact",
          tags: [`t${index}`],
          spaceId: index === 0 ? "space-1" : "space-2",
        }),
      );
    }
    for (const mode of ["hybrid", "vector", "keyword"] as const) {
      const hits = await store.search("database migration failed", { limit: 5, types: ["fact"], mode });
      expect(hits.map((hit) => hit.entry.id).sort(), mode).toEqual(facts.map((fact) => fact.id).sort());
      const inSpace = await store.search("database migration failed", { limit: 5, spaceId: "space-1", mode });
      expect(
        inSpace.map((hit) => hit.entry.id),
        mode,
      ).toEqual([facts[0]?.id]);
      const tagged = await store.search("database migration failed", { limit: 5, tags: ["t2"], mode });
      expect(
        tagged.map((hit) => hit.entry.id),
        mode,
      ).toEqual([facts[2]?.id]);
    }
    const unfiltered = await store.search("database migration failed", { limit: 5 });
    expect(unfiltered.every((hit) => hit.entry.type === "episode")).toBe(true);
  });

  it("fuses vector and keyword ranks by RRF and reports both", async () => {
    const { store } = await fresh();
    const target = await store.remember({
      content: "kubernetes pods restart when memory limits are hit",
      type: "knowledge",
    });
    await store.remember({ content: "pods of whales migrate in winter", type: "fact" });
    const [best] = await store.search("kubernetes pods restart memory limits", { limit: 3 });
    expect(best?.entry.id).toBe(target.id);
    expect(best?.vectorRank).toBe(1);
    expect(best?.keywordRank).toBe(1);
    expect(best?.score).toBeCloseTo(2 / 61, 10);
  });

  it("never lets hostile query text produce an SQL or FTS error", async () => {
    const { store } = await fresh();
    await store.remember({ content: "quotes and NEAR operators are just words here", type: "fact" });
    const hostile = [
      '"unbalanced',
      "NEAR(a b",
      "content: x",
      "a OR OR b",
      "*",
      "'; DROP TABLE memories; --",
      "^start",
      "(((",
      "NOT",
      "-- -",
      "\u0000\u0001",
      "💥 emoji only",
      "AND",
    ];
    for (const query of hostile) {
      const hits = await store.search(query, { mode: "keyword" });
      expect(Array.isArray(hits)).toBe(true);
      await store.search(query);
    }
    expect((await store.search('"NEAR operators', { mode: "keyword" }))[0]?.entry.content).toContain("NEAR");
    expect(store.stats().memories).toBe(1);
  });

  it("rejects bad input with stable codes", async () => {
    const { store } = await fresh();
    await expectCode(store.remember({ content: "", type: "fact" }), "MEMORY_CONTENT_INVALID");
    await expectCode(store.remember({ content: "   \n ", type: "fact" }), "MEMORY_CONTENT_INVALID");
    await expectCode(
      store.remember({ content: "x".repeat(MAX_CONTENT_LENGTH + 1), type: "fact" }),
      "MEMORY_CONTENT_INVALID",
    );
    await expectCode(store.remember({ content: "ok", type: "gossip" as never }), "MEMORY_TYPE_INVALID");
    await expectCode(
      store.remember({ content: "ok", type: "fact", tier: "lukewarm" as never }),
      "MEMORY_FILTER_INVALID",
    );
    await expectCode(store.remember({ content: "ok", type: "fact", importance: 2 }), "MEMORY_FILTER_INVALID");
    await expectCode(store.search("q", { types: ["nope" as never] }), "MEMORY_TYPE_INVALID");
    await expectCode(store.search("q", { tiers: ["tepid" as never] }), "MEMORY_FILTER_INVALID");
    await expectCode(store.search("q", { limit: 0 }), "MEMORY_FILTER_INVALID");
    await expectCode(store.search("q", { limit: 1.5 }), "MEMORY_FILTER_INVALID");
    await expectCode(store.search("q", { mode: "fuzzy" as never }), "MEMORY_FILTER_INVALID");
    await expectCode(store.search("q", { tags: [] }), "MEMORY_FILTER_INVALID");
    await expectCode(store.search("   "), "MEMORY_FILTER_INVALID");
    await expectCode(store.list({ limit: -1 }), "MEMORY_FILTER_INVALID");
    const ok = await store.remember({ content: "x".repeat(MAX_CONTENT_LENGTH), type: "fact" });
    expect(ok.content).toHaveLength(MAX_CONTENT_LENGTH);
  });
});

describe("recall", () => {
  it("takes 3 latest conversation + 2 latest session memories + hits, deduplicated, max 10, and counts access", async () => {
    const { store, clock, events } = await fresh();
    for (let index = 0; index < 5; index++) {
      clock.advance(1000);
      await store.remember({
        content: `conversation turn ${index} about lunch plans`,
        type: "conversation",
        sessionId: "s",
      });
    }
    for (let index = 0; index < 4; index++) {
      clock.advance(1000);
      await store.remember({ content: `session note ${index} regarding the sprint`, type: "session", sessionId: "s" });
    }
    for (let index = 0; index < 12; index++) {
      await store.remember({ content: `fact ${index} regarding lunch and the sprint`, type: "fact" });
    }
    const recalled = await store.recall({ query: "lunch sprint", sessionId: "s" });
    expect(recalled).toHaveLength(10);
    expect(new Set(recalled.map((entry) => entry.id)).size).toBe(10);
    expect(recalled.slice(0, 3).map((entry) => entry.content)).toEqual([
      "conversation turn 4 about lunch plans",
      "conversation turn 3 about lunch plans",
      "conversation turn 2 about lunch plans",
    ]);
    expect(recalled.slice(3, 5).map((entry) => entry.content)).toEqual([
      "session note 3 regarding the sprint",
      "session note 2 regarding the sprint",
    ]);
    const again = await store.get(recalled[0]?.id ?? "");
    expect(again?.accessCount).toBe(1);
    expect(events.ofType("memory.recalled")[0]?.payload.memoryIds).toEqual(recalled.map((entry) => entry.id));
  });
});

describe("recall with a long message", () => {
  it("searches with a bounded query built from a message of any length", async () => {
    const { store, events } = await fresh();
    await store.remember({ content: "the release train leaves on Thursdays", type: "fact" });
    const message = `When does the release train leave? ${"Some pasted context follows. ".repeat(4_000)}`;
    expect(message.length).toBeGreaterThan(100_000);
    const recalled = await store.recall({ query: message });
    expect(recalled.map((entry) => entry.content)).toContain("the release train leaves on Thursdays");
    const query = events.ofType("memory.recalled")[0]?.payload.query ?? "";
    expect(query.length).toBeLessThanOrEqual(MAX_QUERY_LENGTH);
    expect(query.startsWith("When does the release train leave?")).toBe(true);
  });

  it("cuts at a word boundary within the bound", () => {
    expect(recallQuery("alpha  beta\ngamma", 11)).toBe("alpha beta");
    expect(recallQuery("short")).toBe("short");
    expect(recallQuery("x".repeat(50), 10)).toBe("x".repeat(10));
  });
});

describe("secrets", () => {
  it("stores content, summary, tags and metadata with known secrets redacted, on disk too", async () => {
    const key = "sk-memory-0123456789";
    const { store, path } = await fresh({ redactor: new SecretRedactor([{ label: "llm-api-key", value: key }]) });
    const entry = await store.remember({
      content: `the provider key is ${key}`,
      summary: `key ${key}`,
      type: "fact",
      tags: [`tag-${key}`],
      metadata: { note: key },
    });
    expect(JSON.stringify(entry)).not.toContain(key);
    expect(entry.content).toBe("the provider key is [redacted:llm-api-key]");
    const updated = await store.update(entry.id, { content: `now ${key} again` });
    expect(updated.content).toBe("now [redacted:llm-api-key] again");
    await store.importEntries([{ content: `imported ${key}`, type: "fact" }]);
    await store.close();
    for (const file of readdirSync(dirname(path))) {
      expect(readFileSync(join(dirname(path), file)).includes(key), file).toBe(false);
    }
  });
});

describe("writes are never lost", () => {
  it("close() with pending writes commits every one of them", async () => {
    const { store, reopen } = await fresh({ writeQueue: { capacity: 8, maxBatch: 4 } });
    const writes = Array.from({ length: 100 }, (_, index) =>
      store.remember({ content: `pending write number ${index} with its own words w${index}`, type: "episode" }),
    );
    const closing = store.close();
    const settled = await Promise.allSettled(writes);
    await closing;
    expect(settled.every((result) => result.status === "fulfilled")).toBe(true);
    const again = await reopen();
    open.push({ store: again } as TestStore);
    expect(again.stats().memories).toBe(100);
    await expectCode(store.remember({ content: "late", type: "fact" }), "MEMORY_CLOSED");
  });

  it("a row that fails to decode is skipped, logged with its id and counted", async () => {
    const { store, path, logger } = await fresh();
    const good = await store.remember({ content: "a readable memory", type: "fact" });
    const bad = await store.remember({ content: "a memory about to be damaged", type: "fact" });
    const db = new Database(path);
    db.prepare("UPDATE memories SET metadata = ? WHERE id = ?").run(["{not json", bad.id]);
    db.close();
    const listed = await store.list();
    expect(listed.map((entry) => entry.id)).toEqual([good.id]);
    expect(await store.get(bad.id)).toBeUndefined();
    expect(store.stats().corruptRows).toBe(1);
    const warnings = logger.find("warn", "failed to decode");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields.memoryId).toBe(bad.id);
    expect(store.health()).toMatchObject({ status: "degraded" });
  });

  it("callers wait when the queue is full (backpressure), and all complete", async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const embedder = new HashingEmbedder();
    const slow = {
      id: embedder.id,
      dimensions: embedder.dimensions,
      embed: async (texts: readonly string[]) => {
        await gate;
        return embedder.embed(texts);
      },
    };
    const { store } = await fresh({ embedder: slow, writeQueue: { capacity: 4, maxBatch: 2 } });
    let admitted = 0;
    const writes = Array.from({ length: 12 }, (_, index) =>
      store.remember({ content: `queued write ${index} ${"z".repeat(index)}`, type: "fact" }).then((entry) => {
        admitted += 1;
        return entry;
      }),
    );
    // The first caller's batch (alone) is in flight, 4 are queued, the other 7 wait for room.
    await vi.waitFor(() => expect(store.stats()).toMatchObject({ pendingWrites: 12, blockedWriters: 7 }), {
      timeout: 15_000,
    });
    expect(admitted).toBe(0);
    release?.();
    await Promise.all(writes);
    expect(store.stats().memories).toBe(12);
  });
});

describe("vector availability", () => {
  it("fails loudly with MEMORY_VECTOR_UNAVAILABLE when sqlite-vec cannot load", async () => {
    await expectCode(
      openTestStore({
        loadVectorExtension: () => {
          throw new Error("cannot open shared object");
        },
      }),
      "MEMORY_VECTOR_UNAVAILABLE",
    );
  });

  it("keyword-only mode is configured explicitly and visible in stats and health", async () => {
    const { store } = await fresh({ keywordOnly: true });
    await store.remember({ content: "keyword only memories still work", type: "fact" });
    const stats = store.stats();
    expect(stats.mode).toBe("keyword-only");
    expect(stats.vectorStatus).toEqual({ enabled: false, reason: "keyword-only mode configured" });
    expect(store.health()).toEqual({ status: "degraded", reasons: ["keyword-only: keyword-only mode configured"] });
    expect((await store.search("memories work"))[0]?.entry.content).toBe("keyword only memories still work");
    await expectCode(store.search("memories", { mode: "vector" }), "MEMORY_VECTOR_UNAVAILABLE");
  });

  it("rejects ws:// URLs with the database's one code", async () => {
    await expectCode(MemoryStore.open({ url: "ws://127.0.0.1:8080" }), "DATABASE_REMOTE_UNSUPPORTED");
  });

  it("works over a shared database, records its schema version, and leaves the database open on close", async () => {
    const path = tempDatabase();
    const database = await openDatabase({ url: path });
    const store = await MemoryStore.open({ database, embedder: new HashingEmbedder() });
    await store.remember({ content: "shared handles stay open", type: "fact" });
    await store.close();
    expect(database.isOpen).toBe(true);
    expect(database.get("SELECT count(*) AS n FROM memories")).toEqual({ n: 1 });
    expect(database.all("SELECT prefix, version FROM database_migrations")).toEqual([
      { prefix: "memory_", version: 1 },
      { prefix: "memory_", version: 2 },
    ]);
    database.close();
  });

  it("adopts the user_version a file from before the shared migration table recorded", async () => {
    const { store, path } = await fresh();
    await store.remember({ content: "written before the database layer", type: "fact" });
    await store.close();
    // What the store's earlier bookkeeping left: tables at user_version 1, no shared record,
    // no code table (version 2), no recorded code format.
    const db = raw(path);
    db.exec(
      "DROP TABLE database_migrations; DROP TABLE memory_codes; DROP TABLE memory_index_snapshot; DELETE FROM memory_meta WHERE key = 'vector_code_format'; PRAGMA user_version = 1;",
    );
    db.close();
    const again = await MemoryStore.open({ url: path, embedder: new HashingEmbedder() });
    expect((await again.list()).map((entry) => entry.content)).toEqual(["written before the database layer"]);
    // The codes were rebuilt from the stored vectors, so the memory is found by meaning.
    expect((await again.search("written before the database layer", { mode: "vector" })).length).toBe(1);
    expect(again.stats().vectors).toBe(1);
    await again.close();
    const check = raw(path);
    expect(check.prepare("SELECT prefix, version FROM database_migrations").all([])).toEqual([
      { prefix: "memory_", version: 1 },
      { prefix: "memory_", version: 2 },
    ]);
    check.close();
  });
});

describe("embedder", () => {
  it("a query while the embedder is still loading waits, then times out on the clock", async () => {
    let finishLoading: (() => void) | undefined;
    const loading = new Promise<void>((resolve) => {
      finishLoading = resolve;
    });
    const inner = new HashingEmbedder();
    let embedCalls = 0;
    const lazy = {
      id: inner.id,
      dimensions: inner.dimensions,
      embed: async (texts: readonly string[]) => {
        embedCalls += 1;
        await loading;
        return inner.embed(texts);
      },
    };
    const { store, clock } = await fresh({ embedder: lazy, embedTimeoutMs: 5_000 });
    const waiting = store.search("anything at all", { mode: "vector" });
    let outcome: string | undefined;
    const settled = waiting.then(
      () => {
        outcome = "resolved";
      },
      (error: unknown) => {
        outcome = KernelError.isInstance(error) ? error.code : "other";
      },
    );
    // The embed call has started, so its timeout is armed on the clock.
    await vi.waitFor(() => expect(embedCalls).toBe(1), { timeout: 60_000 });
    clock.advance(4_999);
    await settle();
    expect(outcome).toBeUndefined();
    clock.advance(1);
    await settled;
    expect(outcome).toBe("MEMORY_EMBEDDER_TIMEOUT");
    finishLoading?.();
    expect(await store.search("anything at all", { mode: "vector" })).toEqual([]);
  });

  it("caches embeddings by (model, content hash)", async () => {
    const inner = new HashingEmbedder();
    const calls: string[][] = [];
    const counting = {
      id: inner.id,
      dimensions: inner.dimensions,
      embed: async (texts: readonly string[]) => {
        calls.push([...texts]);
        return inner.embed(texts);
      },
    };
    const { store } = await fresh({ embedder: counting });
    const entry = await store.remember({ content: "cached once", type: "fact" });
    await store.forget(entry.id);
    await store.remember({ content: "Cached   once", type: "fact" });
    expect(calls).toEqual([["cached once"]]);
    expect(store.stats().embeddingCacheEntries).toBe(1);
  });

  it("changing the embedder re-embeds every memory in the background with progress events", async () => {
    const { store, reopen } = await fresh();
    for (let index = 0; index < 70; index++) {
      await store.remember({ content: `memory ${index} about topic ${index % 7}`, type: "fact" });
    }
    await store.close();
    const { RecordingPublisher } = await import("@oxios/event-bus/testing");
    const events = new RecordingPublisher();
    const again = await reopen({ embedder: new HashingEmbedder({ dimensions: 256 }), events });
    open.push({ store: again } as TestStore);
    await again.reembedIdle();
    const progress = events.ofType("memory.reembed-progress").map((event) => event.payload);
    expect(progress).toEqual([
      { done: 64, total: 70, model: "hashing-v1-256" },
      { done: 70, total: 70, model: "hashing-v1-256" },
    ]);
    expect(again.stats()).toMatchObject({ vectors: 70, vectorStatus: { model: "hashing-v1-256", dimensions: 256 } });
    const [hit] = await again.search("memory 12 about topic 5", { mode: "vector", limit: 1 });
    expect(hit?.entry.content).toBe("memory 12 about topic 5");
  });
});

describe("tier caps", () => {
  it("keeps hot within its count and token budget, warm and cold within their caps", async () => {
    const { store, events } = await fresh({
      tierCaps: { hot: { count: 5, tokens: 60 }, warm: { count: 4 }, cold: { count: 3 } },
    });
    for (let index = 0; index < 8; index++) {
      await store.remember({
        content: `hot item ${index} ${"h".repeat(20)}`,
        type: "fact",
        tier: "hot",
        importance: 0.5,
      });
    }
    const important = await store.remember({
      content: "the important hot one",
      type: "fact",
      tier: "hot",
      importance: 1,
    });
    let stats = store.stats();
    // Each hot item is ~9 tokens: the 60-token budget allows 5 by count but only 6 by tokens.
    expect(stats.byTier.hot).toBeLessThanOrEqual(5);
    expect((await store.get(important.id))?.tier).toBe("hot");
    for (let index = 0; index < 6; index++) {
      await store.remember({ content: `cold filler ${index} number`, type: "episode", tier: "cold" });
    }
    stats = store.stats();
    expect(stats.byTier.warm).toBeLessThanOrEqual(4);
    expect(stats.byTier.cold).toBeLessThanOrEqual(3);
    expect(events.ofType("memory.forgotten").every((event) => event.payload.reason === "cold tier over capacity")).toBe(
      true,
    );
  });

  it("enforces the default hot cap of 50", async () => {
    const { store } = await fresh();
    for (let index = 0; index < 60; index++) {
      await store.remember({ content: `h${index}`, type: "fact", tier: "hot" });
    }
    expect(store.stats().byTier).toEqual({ hot: 50, warm: 10, cold: 0 });
  });
});
