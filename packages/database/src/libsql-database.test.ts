import { existsSync, statSync } from "node:fs";
import { createLogger, KernelError } from "@oxios/core";
import Libsql from "libsql";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Database, SqlValue } from "./database.ts";
import { openDatabase } from "./open-database.ts";
import { removeTempFiles, tempDatabasePath } from "./test-support.ts";

afterEach(() => {
  vi.restoreAllMocks();
  removeTempFiles();
});

async function table(): Promise<Database> {
  const database = await openDatabase({ url: ":memory:" });
  database.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)");
  return database;
}

describe("parameters", () => {
  it("a lone Buffer or typed array is wrapped into an array instead of aborting the process", async () => {
    const database = await table();
    // What a JavaScript caller (or a cast) can do: one value where the array belongs. Bound
    // as libsql's only argument, this would be a Rust panic that kills the test process.
    const lone = (value: unknown) => value as readonly SqlValue[];
    expect(database.get("SELECT length(?) AS n", lone(Buffer.from("abc")))).toEqual({ n: 3 });
    expect(database.all("SELECT length(?) AS n", lone(new Float32Array([1, 2])))).toEqual([{ n: 8 }]);
    expect(database.run("INSERT INTO items (name, data) VALUES ('x', ?)", lone(new Uint8Array([1]))).changes).toBe(1);
    expect(database.get("SELECT typeof(?) AS t", lone(null))).toEqual({ t: "null" });
    database.close();
  });

  it("binds arrays positionally, BLOBs included, and returns plain rows", async () => {
    const database = await table();
    const result = database.run("INSERT INTO items (name, data) VALUES (?, ?)", ["a", new Uint8Array([7, 8])]);
    expect(result).toEqual({ changes: 1, lastInsertRowid: 1 });
    const row = database.get<Record<string, unknown>>(
      "SELECT id, name, length(data) AS size FROM items WHERE name = ?",
      ["a"],
    );
    expect(row).toEqual({ id: 1, name: "a", size: 2 });
    expect(Object.keys(row ?? {})).toEqual(["id", "name", "size"]);
    expect(database.get("SELECT * FROM items WHERE name = ?", ["missing"])).toBeUndefined();
    database.close();
  });

  it("prepares a statement once and reuses it", async () => {
    const database = await table();
    const prepare = vi.spyOn(Libsql.prototype, "prepare");
    for (let index = 0; index < 10; index++) database.run("INSERT INTO items (name) VALUES (?)", [`n${index}`]);
    expect(database.get("SELECT count(*) AS n FROM items")).toEqual({ n: 10 });
    expect(prepare).toHaveBeenCalledTimes(2);
    database.close();
  });

  it("keeps the 256 most recently used statements and prepares an evicted one again", async () => {
    const database = await table();
    const prepare = vi.spyOn(Libsql.prototype, "prepare");
    for (let index = 0; index < 256; index++) database.get(`SELECT ${index} AS n`);
    database.get("SELECT 0 AS n"); // used again: now the most recent
    expect(prepare).toHaveBeenCalledTimes(256);
    database.get("SELECT 256 AS n"); // one too many: the least recently used (1) goes
    expect(prepare).toHaveBeenCalledTimes(257);
    database.get("SELECT 0 AS n");
    database.get("SELECT 255 AS n");
    expect(prepare).toHaveBeenCalledTimes(257);
    database.get("SELECT 1 AS n");
    expect(prepare).toHaveBeenCalledTimes(258);
    database.close();
  });
});

describe("errors", () => {
  it("a constraint violation is DATABASE_CONSTRAINT with the driver's code and the statement", async () => {
    const database = await table();
    database.run("INSERT INTO items (name) VALUES (?)", ["once"]);
    const error = (() => {
      try {
        database.run("INSERT INTO items (name) VALUES (?)", ["once"]);
      } catch (caught) {
        return caught;
      }
    })();
    expect(KernelError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: "DATABASE_CONSTRAINT",
      details: { sqliteCode: "SQLITE_CONSTRAINT_UNIQUE", statement: "INSERT INTO items (name) VALUES (?)" },
    });
    database.close();
  });

  it("a database another connection keeps locked is DATABASE_BUSY once the busy timeout ends", async () => {
    const path = tempDatabasePath();
    const holder = await openDatabase({ url: path });
    holder.exec("CREATE TABLE t (x INTEGER)");
    const waiter = await openDatabase({ url: path, busyTimeoutMs: 0 });
    // A raw second connection holds the write lock open across our calls.
    const raw = new Libsql(path);
    raw.exec("BEGIN IMMEDIATE");
    expect(() => waiter.run("INSERT INTO t (x) VALUES (?)", [1])).toThrow(
      expect.objectContaining({
        code: "DATABASE_BUSY",
        details: expect.objectContaining({ sqliteCode: "SQLITE_BUSY" }),
      }),
    );
    expect(() => waiter.transaction(() => undefined)).toThrow(expect.objectContaining({ code: "DATABASE_BUSY" }));
    raw.exec("ROLLBACK");
    raw.close();
    expect(waiter.run("INSERT INTO t (x) VALUES (?)", [1]).changes).toBe(1);
    waiter.close();
    holder.close();
  });

  it("a full database is DATABASE_FULL and the transaction leaves nothing behind", async () => {
    const database = await openDatabase({ url: tempDatabasePath() });
    database.exec("CREATE TABLE t (x BLOB)");
    const pages = Number(Object.values(database.get("PRAGMA page_count") ?? {})[0]);
    database.exec(`PRAGMA max_page_count = ${pages + 2}`);
    expect(() =>
      database.transaction(() => {
        for (let index = 0; index < 20; index++) database.run("INSERT INTO t (x) VALUES (?)", [new Uint8Array(4096)]);
      }),
    ).toThrow(expect.objectContaining({ code: "DATABASE_FULL" }));
    expect(database.inTransaction).toBe(false);
    expect(database.get("SELECT count(*) AS n FROM t")).toEqual({ n: 0 });
    database.close();
  });

  it("SQL that SQLite refuses is DATABASE_FAILED; a closed handle is DATABASE_CLOSED", async () => {
    const database = await table();
    expect(() => database.all("SELEC nothing")).toThrow(
      expect.objectContaining({
        code: "DATABASE_FAILED",
        details: expect.objectContaining({ sqliteCode: "SQLITE_ERROR" }),
      }),
    );
    database.get("SELECT 1 AS one"); // cached: libsql would keep running it after close
    database.close();
    database.close();
    expect(database.isOpen).toBe(false);
    expect(database.inTransaction).toBe(false); // asked of libsql itself, this would abort the process
    for (const attempt of [
      () => database.get("SELECT 1 AS one"),
      () => database.exec("SELECT 1"),
      () => database.transaction(() => 1),
    ]) {
      expect(attempt).toThrow(expect.objectContaining({ code: "DATABASE_CLOSED" }));
    }
  });
});

describe("transaction", () => {
  it("commits what the body wrote when it returns", async () => {
    const database = await table();
    const id = database.transaction(() => {
      database.run("INSERT INTO items (name) VALUES (?)", ["a"]);
      return database.run("INSERT INTO items (name) VALUES (?)", ["b"]).lastInsertRowid;
    });
    expect(id).toBe(2);
    expect(database.all("SELECT name FROM items ORDER BY id")).toEqual([{ name: "a" }, { name: "b" }]);
    database.close();
  });

  it("rolls back everything when the body throws, and rethrows the body's error unchanged", async () => {
    const database = await table();
    const thrown = new Error("the body gave up");
    expect(() =>
      database.transaction(() => {
        database.run("INSERT INTO items (name) VALUES (?)", ["a"]);
        throw thrown;
      }),
    ).toThrow(thrown);
    expect(database.inTransaction).toBe(false);
    expect(database.all("SELECT * FROM items")).toEqual([]);
    database.close();
  });

  it("a nested transaction joins the outer one, which decides", async () => {
    const database = await table();
    expect(() =>
      database.transaction(() => {
        database.transaction(() => database.run("INSERT INTO items (name) VALUES (?)", ["inner"]));
        database.run("INSERT INTO items (name) VALUES (?)", ["inner"]); // a constraint violation
      }),
    ).toThrow(expect.objectContaining({ code: "DATABASE_CONSTRAINT" }));
    expect(database.all("SELECT * FROM items")).toEqual([]);
    database.close();
  });

  it("rolls back a body that returns a promise with DATABASE_TRANSACTION_ASYNC", async () => {
    const database = await table();
    let promise: Promise<void> | undefined;
    expect(() =>
      database.transaction(() => {
        database.run("INSERT INTO items (name) VALUES (?)", ["a"]);
        promise = Promise.resolve();
        return promise;
      }),
    ).toThrow(expect.objectContaining({ code: "DATABASE_TRANSACTION_ASYNC" }));
    await promise;
    expect(database.all("SELECT * FROM items")).toEqual([]);
    database.close();
  });
});

describe("close", () => {
  it("checkpoints the write-ahead log into the file and leaves no -wal behind that holds data", async () => {
    const path = tempDatabasePath();
    const writer = await openDatabase({ url: `file:${path}` });
    const reader = await openDatabase({ url: `file:${path}` });
    writer.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, data TEXT)");
    writer.transaction(() => {
      for (let index = 0; index < 2_000; index++) writer.run("INSERT INTO items (data) VALUES (?)", ["x".repeat(1000)]);
    });
    const wal = `${path}-wal`;
    expect(statSync(wal).size).toBeGreaterThan(1_000_000);
    writer.close();
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    reader.close();
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    // Everything is in the main file: a plain libsql connection that reads no WAL sees the rows.
    const again = new Libsql(path, { readonly: true });
    expect(again.prepare("SELECT count(*) AS n FROM items").get([])).toMatchObject({ n: 2_000 });
    again.close();
  });

  it("closes an in-memory database without a checkpoint warning", async () => {
    const warnings: string[] = [];
    const logger = createLogger({ level: "warn", write: (record) => warnings.push(record.message) });
    const database = await openDatabase({ url: ":memory:", logger });
    database.exec("CREATE TABLE t (x)");
    database.close();
    expect(warnings).toEqual([]);
  });
});
