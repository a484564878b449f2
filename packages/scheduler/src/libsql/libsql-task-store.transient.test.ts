// A write a file database did not take for a while — the disk full (`PRAGMA max_page_count`
// on the store's own connection stands in for the disk: SQLite answers SQLITE_FULL the same
// way), or another connection holding the write lock past the busy timeout — is lost and
// counted, and the store takes writes again once the database does. Real libsql files
// throughout (that other failures stay the store's is in libsql-task-store.test.ts).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type LogRecord } from "@oxios/core";
import { settle } from "@oxios/core/testing";
import { type Database, openDatabase } from "@oxios/database";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TaskStoreWrite } from "../task-store.ts";
import { LibsqlTaskStore } from "./libsql-task-store.ts";

let directory: string;
let path: string;
const opened: Database[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "oxios-scheduler-transient-"));
  path = join(directory, "queue.db");
});

afterEach(() => {
  for (const database of opened.splice(0)) database.close();
  rmSync(directory, { recursive: true, force: true });
});

async function open(options: { busyTimeoutMs?: number } = {}): Promise<Database> {
  const database = await openDatabase({ url: path, ...options });
  opened.push(database);
  return database;
}

function logged() {
  const records: LogRecord[] = [];
  return { records, logger: createLogger({ level: "debug", write: (record) => records.push(record) }) };
}

/** A queued task whose payload takes most of a page, so that every few inserts grow the file. */
function queued(id: string): TaskStoreWrite {
  return {
    kind: "queued",
    task: {
      id,
      priority: "normal",
      rateKey: "default",
      createdAt: 1,
      enqueuedAt: 1,
      status: "queued",
      attempts: 0,
      payload: { padding: "x".repeat(1500) },
    },
  };
}

function pageCount(database: Database): number {
  return Number(database.get<{ page_count: number }>("PRAGMA page_count")?.page_count);
}

/** Writes `ids` as one group commit; resolves with the flush's error code, or undefined when it committed. */
async function commit(store: LibsqlTaskStore, ids: string[]): Promise<string | undefined> {
  for (const id of ids) store.write(queued(id));
  try {
    await store.flush();
    return undefined;
  } catch (error) {
    return (error as { code: string }).code;
  } finally {
    await settle();
  }
}

describe("a file database that does not take writes for a while", () => {
  it("a full disk loses the writes made meanwhile (DATABASE_FULL), logs the streak once, and the store goes on once space is freed", async () => {
    const database = await open();
    const { records, logger } = logged();
    const store = await LibsqlTaskStore.open({ database, logger });
    const kept: string[] = [];
    const lost: string[] = [];
    for (let round = 0; round < 5; round++) {
      const ids = [`before-${round}-a`, `before-${round}-b`];
      expect(await commit(store, ids)).toBeUndefined();
      kept.push(...ids);
    }
    // The disk fills up: not one more page.
    database.exec(`PRAGMA max_page_count = ${pageCount(database)}`);
    for (let round = 0; round < 20; round++) {
      const ids = [`full-${round}-a`, `full-${round}-b`];
      const code = await commit(store, ids);
      if (code === undefined) kept.push(...ids);
      else {
        expect(code).toBe("DATABASE_FULL");
        lost.push(...ids);
      }
    }
    // Some rounds may still fit into the last page's free space; most do not.
    expect(lost.length).toBeGreaterThanOrEqual(30);
    expect(store.lostWrites).toBe(lost.length);
    // The store is not broken: reads go on, and a write is refused only by the database.
    expect(store.get(kept[0] as string)?.status).toBe("queued");
    expect(await commit(store, ["still-full"])).toBe("DATABASE_FULL");
    lost.push("still-full");

    // Space is freed.
    database.exec("PRAGMA max_page_count = 1073741823");
    for (let round = 0; round < 5; round++) {
      const ids = [`after-${round}-a`, `after-${round}-b`];
      expect(await commit(store, ids)).toBeUndefined();
      kept.push(...ids);
    }
    store.write({ kind: "admitted", id: "after-0-a", attempt: 1, owner: "me", at: 2, leaseExpiresAt: 100 });
    store.write({ kind: "finished", id: "after-0-a", status: "completed", at: 3 });
    await store.flush();

    const stored = store.list();
    expect(stored.map((task) => task.id).sort()).toEqual([...kept].sort());
    expect(stored.find((task) => task.id === "after-0-a")?.status).toBe("completed");
    for (const id of lost) expect(store.get(id)).toBeUndefined();
    expect(store.lostWrites).toBe(lost.length);

    // One warning for the streak, naming the code; one line when writes land again.
    const warnings = records.filter((record) => record.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ code: "DATABASE_FULL" });
    const again = records.filter((record) => record.message === "task writes are stored again");
    expect(again).toHaveLength(1);
    expect(again[0]?.fields).toMatchObject({ lost: lost.length });
    await store.close();
  });

  it("a window that fails on its own timer is logged once per streak by the group commit", async () => {
    const database = await open();
    const { records, logger } = logged();
    const store = await LibsqlTaskStore.open({ database, logger });
    expect(await commit(store, ["first"])).toBeUndefined();
    database.exec(`PRAGMA max_page_count = ${pageCount(database)}`);
    // Nobody flushes: each window commits at the end of the event loop's turn, and fails.
    for (let round = 0; round < 10; round++) {
      store.write(queued(`burst-${round}-a`));
      store.write(queued(`burst-${round}-b`));
      await new Promise<void>((resolve) => setImmediate(resolve));
      await settle();
    }
    expect(store.lostWrites).toBeGreaterThanOrEqual(16);
    expect(records.filter((record) => record.message === "group commit failed")).toHaveLength(1);
    database.exec("PRAGMA max_page_count = 1073741823");
    store.write(queued("freed"));
    await new Promise<void>((resolve) => setImmediate(resolve));
    await settle();
    expect(store.get("freed")?.id).toBe("freed");
    expect(records.filter((record) => record.message === "group commits succeed again")).toHaveLength(1);
    expect(records.filter((record) => record.level === "warn")).toHaveLength(1);
    await store.close();
  });

  it("another connection holding the write lock past the busy timeout loses the write (DATABASE_BUSY); once it commits, intake works again", async () => {
    const database = await open({ busyTimeoutMs: 0 });
    const store = await LibsqlTaskStore.open({ database });
    expect(await commit(store, ["before"])).toBeUndefined();
    // A backup, or `sqlite3` by hand: another connection takes the write lock and keeps it.
    const other = await open();
    other.exec("BEGIN IMMEDIATE");
    other.run(
      "INSERT INTO scheduler_tasks (id, priority, rate_key, created_at, enqueued_at, status) VALUES (?, ?, ?, ?, ?, ?)",
      ["by-hand", "normal", "default", 1, 1, "completed"],
    );
    expect(await commit(store, ["while-held"])).toBe("DATABASE_BUSY");
    expect(store.lostWrites).toBe(1);
    other.exec("COMMIT");
    expect(await commit(store, ["after"])).toBeUndefined();
    expect(store.list().map((task) => task.id)).toEqual(["before", "by-hand", "after"]);
    expect(store.lostWrites).toBe(1);
    await store.close();
  });
});
