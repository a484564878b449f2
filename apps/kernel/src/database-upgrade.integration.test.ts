// An oxios.db written by the four stores before they shared @oxios/database opens with the
// current code without losing anything. The fixture was made by the stores as they were at
// commit da91b49, in the kernel's boot order on one file: 5 audit entries; 2 memories
// (HashingEmbedder, 64-d); the default space and "Legacy Garden"; tasks legacy-done
// (completed), legacy-running (running, under a lease) and legacy-queued (queued, high).
// Their schema versions lived in `user_version` (memory: 1) and `space_migrations` (space: 1);
// the audit and scheduler tables had no version at all.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { ManualClock } from "@oxios/core/testing";
import { openDatabase } from "@oxios/database";
import { AuditTrail } from "@oxios/event-bus";
import { LibsqlAuditStore } from "@oxios/event-bus/libsql";
import { MemoryStore } from "@oxios/memory";
import { HashingEmbedder } from "@oxios/memory/testing";
import { LibsqlRunJournal } from "@oxios/runtime/libsql";
import { Scheduler } from "@oxios/scheduler";
import { admitNext, finishAdmitted, LibsqlTaskStore } from "@oxios/scheduler/libsql";
import { SpaceManager } from "@oxios/space";
import { LibsqlSpaceStore } from "@oxios/space/libsql";
import { afterEach, describe, expect, it } from "vitest";

const fixture = new URL("./__fixtures__/oxios-before-database-layer.db.gz", import.meta.url);
const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function legacyDatabaseUrl(): string {
  const directory = mkdtempSync(join(tmpdir(), "oxios-upgrade-"));
  directories.push(directory);
  const path = join(directory, "oxios.db");
  writeFileSync(path, gunzipSync(readFileSync(fixture)));
  return pathToFileURL(path).href;
}

/** Opens every store on `url` as the kernel does, reads what the fixture holds, writes once more. */
async function openAndCheck(url: string, round: number): Promise<void> {
  const trail = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url }) });
  expect(await trail.verify()).toEqual({ ok: true, count: 5 + round, firstSeq: 1, lastSeq: 5 + round });
  expect((await trail.append({ actor: "upgraded", action: "test.appended" })).seq).toBe(6 + round);
  await trail.close();

  const memory = await MemoryStore.open({ url, embedder: new HashingEmbedder({ dimensions: 64 }) });
  expect(memory.stats().memories).toBe(2 + round);
  expect((await memory.search("otters", { mode: "keyword" }))[0]?.entry.content).toBe(
    "the legacy database keeps this fact about otters",
  );
  await memory.remember({ content: `remembered after upgrade round ${round}`, type: "fact" });
  await memory.close();

  const spaceStore = await LibsqlSpaceStore.open({ url });
  const spaces = new SpaceManager({ store: spaceStore, publisher: { publish: () => ({ delivered: 0, dropped: 0 }) } });
  expect((await spaces.list()).map((space) => space.name)).toEqual(
    ["Default", "Legacy Garden", ...Array.from({ length: round }, (_, index) => `Upgraded ${index}`)].sort(),
  );
  await spaces.create({ name: `Upgraded ${round}` });
  await spaceStore.close();

  const taskStore = await LibsqlTaskStore.open({ url });
  if (round === 0) {
    expect(taskStore.list().map((task) => [task.id, task.status])).toEqual([
      ["legacy-done", "completed"],
      ["legacy-running", "running"],
      ["legacy-queued", "queued"],
    ]);
    // Far enough ahead that the dead process's lease has expired.
    const scheduler = new Scheduler({ store: taskStore, clock: new ManualClock(Date.UTC(2100, 0, 1)) });
    const seen: string[] = [];
    const report = await scheduler.recover(async (task) => {
      seen.push(task.id);
    });
    await Promise.all(report.requeued.map((handle) => handle.settled));
    expect(seen.sort()).toEqual(["legacy-queued", "legacy-running"]);
    await scheduler.drain({ timeoutMs: 0 });
    await checkClusterAdmission(url, taskStore);
  }
  expect(taskStore.list().every((task) => task.status === "completed")).toBe(true);
  await taskStore.close();

  // The run journal is new: its tables are created beside the old ones.
  const journal = await LibsqlRunJournal.open({ url });
  expect(await journal.unfinished()).toEqual([]);
  await journal.close();
}

/**
 * Scheduler version 4 on the upgraded file: the legacy rows have no profile, a task queued now
 * keeps its profile, and cluster admission (profile caps, the rate bucket table) runs on it.
 */
async function checkClusterAdmission(url: string, taskStore: LibsqlTaskStore): Promise<void> {
  const now = Date.UTC(2100, 0, 1);
  const holding = new Scheduler({ store: taskStore, clock: new ManualClock(now), canAdmit: () => false });
  holding.submit({ id: "upgraded-profiled", profile: "researcher", rateKey: "openai" });
  await holding.drain({ timeoutMs: 0 });
  expect(taskStore.list().map((task) => [task.id, task.profile])).toEqual([
    ["legacy-done", undefined],
    ["legacy-running", undefined],
    ["legacy-queued", undefined],
    ["upgraded-profiled", "researcher"],
  ]);
  const database = await openDatabase({ url });
  const limits = { profileCaps: { researcher: 1 }, ratePerMinute: 60 };
  expect(admitNext(database, { ...limits, node: "n", maxConcurrent: 1, now, leaseMs: 1000 })?.id).toBe(
    "upgraded-profiled",
  );
  expect(finishAdmitted(database, "upgraded-profiled", "n", "completed", now)).toBe(true);
  expect(database.all("SELECT rate_key, units FROM scheduler_rate_buckets")).toEqual([
    { rate_key: "openai", units: 59 * 60_000 },
  ]);
  database.close();
}

describe("a database from before @oxios/database", () => {
  it("opens with every store, keeps every row, and records the versions it found under their prefixes", async () => {
    const url = legacyDatabaseUrl();
    await openAndCheck(url, 0);
    // Again: the migrations are now recorded, so nothing is adopted or applied twice.
    await openAndCheck(url, 1);

    const database = await openDatabase({ url });
    expect(database.all("SELECT prefix, version FROM database_migrations ORDER BY prefix, version")).toEqual([
      { prefix: "audit_", version: 1 },
      { prefix: "memory_", version: 1 },
      // Memory's version 2 (the vector code table) runs on top of the adopted version 1.
      { prefix: "memory_", version: 2 },
      { prefix: "run_", version: 1 },
      { prefix: "scheduler_", version: 1 },
      { prefix: "scheduler_", version: 2 },
      { prefix: "scheduler_", version: 3 },
      { prefix: "scheduler_", version: 4 },
      { prefix: "scheduler_", version: 5 },
      { prefix: "space_", version: 1 },
    ]);
    // The earlier bookkeeping is left as it was.
    expect(database.get("PRAGMA user_version")).toEqual({ user_version: 1 });
    expect(database.all("SELECT version FROM space_migrations")).toEqual([{ version: 1 }]);
    database.close();
  });
});
