import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./open-database.ts";
import { removeTempFiles, tempDatabasePath } from "./test-support.ts";

afterEach(removeTempFiles);

function pragma(database: Awaited<ReturnType<typeof openDatabase>>, name: string): unknown {
  return Object.values(database.get(`PRAGMA ${name}`) ?? {})[0];
}

describe("openDatabase", () => {
  it("applies the kernel's pragmas: WAL, busy timeout, synchronous FULL, foreign keys", async () => {
    const database = await openDatabase({ url: pathToFileURL(tempDatabasePath()).href });
    expect(pragma(database, "journal_mode")).toBe("wal");
    expect(pragma(database, "busy_timeout")).toBe(5_000);
    expect(pragma(database, "synchronous")).toBe(2); // FULL
    expect(pragma(database, "foreign_keys")).toBe(1);
    database.close();
  });

  it("takes a store's own busy timeout and synchronous NORMAL", async () => {
    const database = await openDatabase({ url: tempDatabasePath(), busyTimeoutMs: 250, synchronous: "normal" });
    expect(pragma(database, "busy_timeout")).toBe(250);
    expect(pragma(database, "synchronous")).toBe(1); // NORMAL
    database.close();
  });

  // libsql 0.5.29 turns foreign keys on by default; the pragma keeps that true whatever the
  // driver's default, and this test keeps it true for our handle.
  it("enforces foreign keys", async () => {
    const database = await openDatabase({ url: ":memory:" });
    database.exec(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent INTEGER REFERENCES parent(id));",
    );
    expect(() => database.run("INSERT INTO child (parent) VALUES (?)", [42])).toThrow(
      expect.objectContaining({
        code: "DATABASE_CONSTRAINT",
        details: expect.objectContaining({ sqliteCode: "SQLITE_CONSTRAINT_FOREIGNKEY" }),
      }),
    );
    database.close();
  });

  it("opens one file from a file:// URL, a file: URL and a plain path alike", async () => {
    const path = tempDatabasePath("with space.db");
    const first = await openDatabase({ url: pathToFileURL(path).href });
    first.exec("CREATE TABLE t (x TEXT)");
    first.run("INSERT INTO t (x) VALUES (?)", ["written once"]);
    first.close();
    for (const url of [`file:${path}`, path]) {
      const again = await openDatabase({ url });
      expect(again.all("SELECT x FROM t")).toEqual([{ x: "written once" }]);
      again.close();
    }
  });

  it("refuses ws(s):// with DATABASE_REMOTE_UNSUPPORTED, naming the URLs that work", async () => {
    for (const url of ["ws://h:1", "wss://db.example.com"]) {
      await expect(openDatabase({ url, authToken: "secret" })).rejects.toMatchObject({
        code: "DATABASE_REMOTE_UNSUPPORTED",
        message: expect.stringMatching(/use http\(s\):\/\/ or libsql:\/\//),
      });
    }
  });

  it("translates a file it cannot open into DATABASE_OPEN_FAILED", async () => {
    const missing = join(dirname(tempDatabasePath()), "no-such-directory", "x.db");
    await expect(openDatabase({ url: missing })).rejects.toMatchObject({
      code: "DATABASE_OPEN_FAILED",
      details: { path: missing },
    });
    const directory = join(dirname(tempDatabasePath()), "a-directory");
    mkdirSync(directory);
    await expect(openDatabase({ url: directory })).rejects.toMatchObject({ code: "DATABASE_OPEN_FAILED" });
  });

  it("translates a file that is not a database into DATABASE_CORRUPT", async () => {
    const path = tempDatabasePath();
    writeFileSync(path, "this is not a sqlite database, just some text that is long enough ".repeat(20));
    await expect(openDatabase({ url: path })).rejects.toMatchObject({ code: "DATABASE_CORRUPT" });
  });
});
