/** Helpers shared by this package's tests: a fresh database file per test and a store on it. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryLogger, ManualClock, type MemoryLogger } from "@oxios/core/testing";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import { MemoryStore, type MemoryStoreOptions, type MemoryStoreSettings } from "./memory-store.ts";
import { HashingEmbedder } from "./testing/hashing-embedder.ts";

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
