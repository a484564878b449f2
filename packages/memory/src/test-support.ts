/**
 * Helpers shared by this package's tests: a fresh database file per test and a store on it, and
 * the check that the vector index is in step with the table.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryLogger, ManualClock, type MemoryLogger } from "@oxios/core/testing";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import Database from "libsql";
import * as sqliteVec from "sqlite-vec";
import { expect } from "vitest";
import { HashingEmbedder } from "./hashing-embedder.ts";
import { MemoryStore, type MemoryStoreOptions, type MemoryStoreSettings } from "./memory-store.ts";
import { SignQuantizer } from "./sign-quantizer.ts";
import { CODE_BITS } from "./vector-index.ts";

export interface TestStore {
  store: MemoryStore;
  clock: ManualClock;
  events: RecordingPublisher;
  logger: MemoryLogger;
  path: string;
  reopen(options?: Partial<MemoryStoreSettings>): Promise<MemoryStore>;
}

const directories: string[] = [];

export function tempDatabase(): string {
  const directory = mkdtempSync(join(tmpdir(), "oxios-memory-"));
  directories.push(directory);
  return join(directory, "memory.db");
}

export function removeTempDatabases(): void {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
}

export async function openTestStore(options: Partial<MemoryStoreSettings> = {}): Promise<TestStore> {
  const path = tempDatabase();
  const clock = new ManualClock();
  const events = new RecordingPublisher();
  const logger = createMemoryLogger();
  const base: MemoryStoreOptions = { url: `file:${path}`, embedder: new HashingEmbedder(), clock, events, logger };
  const store = await MemoryStore.open({ ...base, ...options });
  return {
    store,
    clock,
    events,
    logger,
    path,
    reopen: (more = {}) => MemoryStore.open({ ...base, ...options, ...more }),
  };
}

function readOnly(path: string): InstanceType<typeof Database> {
  const db = new Database(path, { readonly: true });
  sqliteVec.load(db as unknown as Parameters<typeof sqliteVec.load>[0]);
  return db;
}

/**
 * Asserts that the vector index is in step with the table: every memory has one vector and one
 * code, each code is its vector's, the store counts them all, and a vector search for each of
 * `queries` returns what an exact search over the table returns.
 */
export async function expectIndexConsistent(
  store: MemoryStore,
  path: string,
  embedder: HashingEmbedder,
  queries: readonly string[],
): Promise<void> {
  const db = readOnly(path);
  try {
    const seqs = (sql: string): number[] => (db.prepare(sql).all([]) as Array<{ seq: number }>).map((row) => row.seq);
    const memories = seqs("SELECT seq FROM memories ORDER BY seq");
    expect(seqs("SELECT memory_seq AS seq FROM memory_embeddings ORDER BY memory_seq")).toEqual(memories);
    expect(seqs("SELECT memory_seq AS seq FROM memory_codes ORDER BY memory_seq")).toEqual(memories);
    const quantizer = new SignQuantizer(embedder.dimensions, CODE_BITS);
    for (const row of db
      .prepare("SELECT c.code, e.vector FROM memory_codes c JOIN memory_embeddings e ON e.memory_seq = c.memory_seq")
      .all([]) as Array<{ code: ArrayBuffer; vector: ArrayBuffer }>) {
      expect(new Uint8Array(row.code)).toEqual(quantizer.quantize(new Float32Array(row.vector)));
    }
    expect(store.stats().vectors).toBe(memories.length);
    for (const query of queries) {
      const exact = (
        db
          .prepare(
            `SELECT m.id AS id FROM memory_embeddings e JOIN memories m ON m.seq = e.memory_seq
             ORDER BY vec_distance_cosine(e.vector, ?), e.memory_seq LIMIT 10`,
          )
          .all([Buffer.from(embedder.embedOne(query).buffer)]) as Array<{ id: string }>
      ).map((row) => row.id);
      const hits = await store.search(query, { mode: "vector", limit: 10 });
      expect(hits.map((hit) => hit.entry.id)).toEqual(exact);
    }
  } finally {
    db.close();
  }
}
