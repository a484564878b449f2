/**
 * The served path: `openDatabase` on an `http://` URL talks to a real sqld (started on
 * 127.0.0.1 by `@oxios/tooling/sqld`) with the same `Database` contract as a file:
 * migrations, writes and reads, transactions, coded errors, and `DATABASE_UNAVAILABLE` while
 * the server is away, the same handle working again once it is back.
 */

import { KernelError } from "@oxios/core";
import { createMemoryLogger } from "@oxios/core/testing";
import { type SqldServer, startSqld } from "@oxios/tooling/sqld";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "./database.ts";
import { migrate } from "./migrations.ts";
import { openDatabase } from "./open-database.ts";
import { retryServedTransaction } from "./served-retry.ts";
import { isInterrupted, isStreamLost, mapSqliteError } from "./sqlite-errors.ts";
import { acquireDatabase } from "./store-database.ts";

const NOTES = {
  prefix: "notes_",
  migrations: [
    { version: 1, sql: "CREATE TABLE notes_items (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)" },
    { version: 2, sql: "ALTER TABLE notes_items ADD COLUMN tag TEXT" },
  ],
};

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (KernelError.isInstance(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe("openDatabase on a served URL (sqld)", () => {
  let server: SqldServer;
  let database: Database;

  beforeAll(async () => {
    server = await startSqld();
    database = await openDatabase({ url: server.url });
    migrate(database, NOTES);
  });
  afterAll(async () => {
    database.close();
    await server.close();
  });

  it("is served, runs the migrations once and records them", async () => {
    expect(database.served).toBe(true);
    expect(database.url).toBe(server.url);
    expect(migrate(database, NOTES)).toMatchObject({ from: 2, to: 2 });
    const versions = database.all("SELECT version FROM database_migrations WHERE prefix = ? ORDER BY version", [
      "notes_",
    ]);
    expect(versions).toEqual([{ version: 1 }, { version: 2 }]);
  });

  it("runs a migration again when sqld interrupted its transaction (nodes booting together), and records it once", () => {
    const logger = createMemoryLogger();
    const flaky = interruptingExec(database, "CREATE TABLE retry_once (id INTEGER PRIMARY KEY)", 1);
    const set = {
      prefix: "retryonce_",
      migrations: [{ version: 1, sql: "CREATE TABLE retry_once (id INTEGER PRIMARY KEY)" }],
    };
    expect(migrate(flaky, set, { logger })).toMatchObject({ from: 0, to: 1 });
    expect(database.all("SELECT version FROM database_migrations WHERE prefix = 'retryonce_'")).toEqual([
      { version: 1 },
    ]);
    expect(database.get("SELECT count(*) AS n FROM retry_once")).toEqual({ n: 0 });
    expect(logger.find("debug", "interrupted by the server")).toHaveLength(1);
  });

  it("gives up after three interrupted attempts: DATABASE_MIGRATION_FAILED, nothing recorded", () => {
    const flaky = interruptingExec(database, "CREATE TABLE retry_never (id INTEGER PRIMARY KEY)", 3);
    const set = {
      prefix: "retrynever_",
      migrations: [{ version: 1, sql: "CREATE TABLE retry_never (id INTEGER PRIMARY KEY)" }],
    };
    expect(() => migrate(flaky, set)).toThrow(expect.objectContaining({ code: "DATABASE_MIGRATION_FAILED" }));
    expect(database.all("SELECT version FROM database_migrations WHERE prefix = 'retrynever_'")).toEqual([]);
    expect(database.get("SELECT count(*) AS n FROM sqlite_master WHERE name = 'retry_never'")).toEqual({ n: 0 });
  });

  it("runs a transaction again whose write lock sqld handed to another connection after its timeout, and commits it once", async () => {
    const logger = createMemoryLogger();
    const other = await openDatabase({ url: server.url });
    let attempts = 0;
    try {
      retryServedTransaction(
        database,
        () => {
          attempts++;
          database.run("INSERT INTO notes_items (body, tag) VALUES (?, ?)", ["held", "stolen"]);
          // Another node writes while this transaction holds the write lock: sqld makes it wait
          // out its transaction timeout, rolls this transaction back and lets the other commit.
          if (attempts === 1) other.run("INSERT INTO notes_items (body, tag) VALUES (?, ?)", ["thief", "stolen"]);
          database.run("UPDATE notes_items SET tag = ? WHERE body = ?", ["kept", "held"]);
        },
        { what: "a test write", logger },
      );
    } finally {
      other.close();
    }
    expect(attempts).toBe(2);
    expect(database.all("SELECT body, tag FROM notes_items WHERE body IN ('held', 'thief') ORDER BY body")).toEqual([
      { body: "held", tag: "kept" },
      { body: "thief", tag: "stolen" },
    ]);
    expect(logger.find("debug", "interrupted by the server")).toHaveLength(1);
  }, 60_000);

  it("retries a busy transaction three times in all, but not one nested in a transaction the caller opened", () => {
    let attempts = 0;
    const busy = () => {
      attempts++;
      database.run("INSERT INTO notes_items (body, tag) VALUES (?, ?)", [`busy ${attempts}`, "busy"]);
      throw new KernelError("DATABASE_BUSY", "the server interrupted the transaction");
    };
    expect(() => retryServedTransaction(database, busy, { what: "a test write" })).toThrow("interrupted");
    expect(attempts).toBe(3);
    attempts = 0;
    expect(() => database.transaction(() => retryServedTransaction(database, busy, { what: "a test write" }))).toThrow(
      "interrupted",
    );
    expect(attempts).toBe(1);
    expect(database.get("SELECT count(*) AS n FROM notes_items WHERE tag = 'busy'")).toEqual({ n: 0 });
  });

  it("writes and reads, and a second connection (another node) sees the write", async () => {
    const written = database.run("INSERT INTO notes_items (body, tag) VALUES (?, ?)", ["first note", "a"]);
    expect(written.changes).toBe(1);
    expect(database.get("SELECT body, tag FROM notes_items WHERE id = ?", [written.lastInsertRowid])).toEqual({
      body: "first note",
      tag: "a",
    });
    const other = await openDatabase({ url: server.url });
    try {
      expect(other.all("SELECT body FROM notes_items WHERE tag = ?", ["a"])).toEqual([{ body: "first note" }]);
    } finally {
      other.close();
    }
  });

  it("binds BLOBs and 64-bit integers like a file does", () => {
    database.exec("CREATE TABLE IF NOT EXISTS notes_blobs (id INTEGER PRIMARY KEY, big INTEGER, data BLOB)");
    const data = new Uint8Array([0, 1, 2, 254, 255]);
    database.run("INSERT INTO notes_blobs (big, data) VALUES (?, ?)", [2n ** 53n + 1n, data]);
    const row = database.get<{ big: number; data: Uint8Array }>("SELECT big, data FROM notes_blobs");
    expect(new Uint8Array(row?.data ?? [])).toEqual(data);
  });

  it("commits a transaction's writes together and rolls them back together", () => {
    database.transaction(() => {
      database.run("INSERT INTO notes_items (body) VALUES (?)", ["tx one"]);
      database.run("INSERT INTO notes_items (body) VALUES (?)", ["tx two"]);
    });
    expect(() =>
      database.transaction(() => {
        database.run("INSERT INTO notes_items (body) VALUES (?)", ["rolled back"]);
        database.run("INSERT INTO notes_items (body) VALUES (?)", ["tx one"]);
      }),
    ).toThrow(expect.objectContaining({ code: "DATABASE_CONSTRAINT" }));
    expect(database.inTransaction).toBe(false);
    expect(
      database.all("SELECT body FROM notes_items WHERE body LIKE 'tx %' OR body = 'rolled back' ORDER BY id"),
    ).toEqual([{ body: "tx one" }, { body: "tx two" }]);
  });

  it("maps the server's SQLite errors to the same codes as a file's", () => {
    expect(codeOf(() => database.run("INSERT INTO notes_items (body) VALUES (?)", ["first note"]))).toBe(
      "DATABASE_CONSTRAINT",
    );
    expect(codeOf(() => database.all("SELEC nonsense"))).toBe("DATABASE_FAILED");
  });

  it("refuses to load an extension: sqld loads its own", () => {
    expect(codeOf(() => database.loadExtension("/tmp/vec0.so"))).toBe("DATABASE_REMOTE_UNSUPPORTED");
    expect(database.get("SELECT vec_version() AS v")).toEqual({ v: "v0.1.9" });
  });

  it("gives DATABASE_UNAVAILABLE while the server is stopped, and works again on the same handle when it is back", async () => {
    await server.stop();
    expect(codeOf(() => database.all("SELECT body FROM notes_items"))).toBe("DATABASE_UNAVAILABLE");
    expect(codeOf(() => database.run("INSERT INTO notes_items (body) VALUES (?)", ["while away"]))).toBe(
      "DATABASE_UNAVAILABLE",
    );
    expect(codeOf(() => database.transaction(() => database.run("INSERT INTO notes_items (body) VALUES ('x')")))).toBe(
      "DATABASE_UNAVAILABLE",
    );
    expect(database.inTransaction).toBe(false);
    await expect(openDatabase({ url: server.url })).rejects.toMatchObject({ code: "DATABASE_UNAVAILABLE" });

    await server.start();
    database.run("INSERT INTO notes_items (body) VALUES (?)", ["after the restart"]);
    expect(
      database.get("SELECT count(*) AS n FROM notes_items WHERE body IN ('after the restart', 'while away', 'x')"),
    ).toEqual({
      n: 1,
    });
    database.transaction(() => database.run("INSERT INTO notes_items (body) VALUES (?)", ["a transaction after it"]));
    expect(database.get("SELECT count(*) AS n FROM notes_items WHERE body = 'a transaction after it'")).toEqual({
      n: 1,
    });
  });

  it("retries once, on a fresh connection, a statement whose stream the server no longer knows (restarted unseen)", async () => {
    database.transaction(() => database.run("INSERT INTO notes_items (body) VALUES (?)", ["before an unseen restart"]));
    // The server restarts while the handle is idle: its stream (held since the transaction)
    // is unknown to the new server, as after sqld expires an idle stream (STREAM_EXPIRED).
    await server.stop();
    await server.start();
    expect(database.get("SELECT count(*) AS n FROM notes_items WHERE body = ?", ["before an unseen restart"])).toEqual({
      n: 1,
    });
    await server.stop();
    await server.start();
    database.transaction(() => database.run("INSERT INTO notes_items (body) VALUES (?)", ["after an unseen restart"]));
    expect(database.get("SELECT count(*) AS n FROM notes_items WHERE body = ?", ["after an unseen restart"])).toEqual({
      n: 1,
    });
  });

  it("reads sqld's interruption as DATABASE_BUSY, to be tried again: nothing of it was written", () => {
    const interrupted = mapSqliteError(
      new Error('Hrana(StreamError(Error { message: "SQLite error: interrupted", code: "SQLITE_INTERRUPT" }))'),
    );
    expect(interrupted.code).toBe("DATABASE_BUSY");
    expect(isInterrupted(interrupted)).toBe(true);
    expect(isInterrupted(mapSqliteError(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" })))).toBe(
      false,
    );
  });

  it("reads sqld's lost-stream answers as DATABASE_UNAVAILABLE", () => {
    for (const message of [
      'Hrana(Api("status=400 Bad Request, body={\\"message\\":\\"The stream has expired due to inactivity\\",\\"code\\":\\"STREAM_EXPIRED\\"}"))',
      'Hrana(Api("status=400 Bad Request, body=Received an invalid baton"))',
      'Hrana(Api("status=502 Bad Gateway, body="))',
    ]) {
      expect(mapSqliteError(new Error(message)).code).toBe("DATABASE_UNAVAILABLE");
    }
    // The first two are a lost stream (nothing ran: tried once more); a 502 may have run.
    const lost = [
      'Hrana(Api("status=400 Bad Request, body={\\"message\\":\\"The stream has expired due to inactivity\\",\\"code\\":\\"STREAM_EXPIRED\\"}"))',
      'Hrana(Api("status=400 Bad Request, body=Received an invalid baton"))',
    ];
    for (const message of lost) expect(isStreamLost(mapSqliteError(new Error(message)))).toBe(true);
    expect(isStreamLost(mapSqliteError(new Error('Hrana(Api("status=502 Bad Gateway, body="))')))).toBe(false);
    expect(mapSqliteError(new Error('Hrana(Api("status=401 Unauthorized, body={}"))')).code).toBe(
      "DATABASE_OPEN_FAILED",
    );
  });

  it("gives DATABASE_BUSY when sqld hands a transaction's write lock to another connection, and nothing of it stays", async () => {
    const other = await openDatabase({ url: server.url });
    try {
      const failure = codeOf(() =>
        database.transaction(() => {
          database.run("INSERT INTO notes_items (body) VALUES (?)", ["lost with its lock"]);
          // Another connection wants to write: sqld waits its transaction timeout, then rolls
          // this transaction back and gives the lock to the waiting one.
          other.run("INSERT INTO notes_items (body) VALUES (?)", ["took the lock"]);
        }),
      );
      expect(failure).toBe("DATABASE_BUSY");
      expect(database.get("SELECT count(*) AS n FROM notes_items WHERE body = ?", ["lost with its lock"])).toEqual({
        n: 0,
      });
      expect(other.get("SELECT count(*) AS n FROM notes_items WHERE body = ?", ["took the lock"])).toEqual({ n: 1 });
    } finally {
      other.close();
    }
  });

  it("fails every later statement of a body whose transaction sqld took away, even when the body catches the first failure", async () => {
    const other = await openDatabase({ url: server.url });
    try {
      const failures: (string | undefined)[] = [];
      const failure = codeOf(() =>
        database.transaction(() => {
          database.run("INSERT INTO notes_items (body) VALUES (?)", ["stolen first"]);
          other.run("INSERT INTO notes_items (body) VALUES (?)", ["stole the lock"]);
          // sqld rolled the transaction back: these would otherwise run on their own and stay.
          failures.push(codeOf(() => database.run("INSERT INTO notes_items (body) VALUES (?)", ["stolen second"])));
          failures.push(codeOf(() => database.run("INSERT INTO notes_items (body) VALUES (?)", ["stolen third"])));
        }),
      );
      expect(failures).toEqual(["DATABASE_BUSY", "DATABASE_BUSY"]);
      expect(failure).toBe("DATABASE_BUSY");
      expect(database.inTransaction).toBe(false);
      expect(database.get("SELECT count(*) AS n FROM notes_items WHERE body LIKE 'stolen %'")).toEqual({ n: 0 });
      // The handle goes on: the next transaction commits.
      database.transaction(() => database.run("INSERT INTO notes_items (body) VALUES (?)", ["after the theft"]));
      expect(database.get("SELECT count(*) AS n FROM notes_items WHERE body = ?", ["after the theft"])).toEqual({
        n: 1,
      });
    } finally {
      other.close();
    }
  });

  it("gives DATABASE_UNAVAILABLE when the server goes away inside a transaction, and nothing of it stays", async () => {
    expect(
      codeOf(() =>
        database.transaction(() => {
          database.run("INSERT INTO notes_items (body) VALUES (?)", ["half a transaction"]);
          // The server dies between two statements of one transaction (the signal is sent
          // now; the loop runs statements until the server is gone and one fails).
          process.kill(server.pid ?? 0, "SIGKILL");
          for (;;) database.run("INSERT INTO notes_items (body) VALUES (?)", ["the other half"]);
        }),
      ),
    ).toBe("DATABASE_UNAVAILABLE");
    expect(database.inTransaction).toBe(false);
    await server.kill();
    await server.start();
    expect(database.get("SELECT count(*) AS n FROM notes_items WHERE body LIKE '%half%'")).toEqual({ n: 0 });
  });
});

describe("a served database behind a token", () => {
  let server: SqldServer;
  beforeAll(async () => {
    server = await startSqld({ auth: true });
  });
  afterAll(async () => {
    await server.close();
  });

  it("opens with the token, through acquireDatabase as every store does", async () => {
    const acquired = await acquireDatabase({ url: server.url, authToken: server.authToken ?? "" });
    expect(acquired.database.get("SELECT 41 + 1 AS n")).toEqual({ n: 42 });
    acquired.release();
    expect(acquired.database.isOpen).toBe(false);
  });

  it("refuses to open without it, with DATABASE_OPEN_FAILED", async () => {
    await expect(openDatabase({ url: server.url })).rejects.toMatchObject({ code: "DATABASE_OPEN_FAILED" });
    await expect(openDatabase({ url: server.url, authToken: "not.a.token" })).rejects.toMatchObject({
      code: "DATABASE_OPEN_FAILED",
    });
  });
});

describe("openDatabase on a server that is not there", () => {
  it("gives DATABASE_UNAVAILABLE at open", async () => {
    const server = await startSqld();
    const url = server.url;
    await server.close();
    await expect(openDatabase({ url })).rejects.toMatchObject({ code: "DATABASE_UNAVAILABLE" });
  });
});

describe("a statement run outside and then inside a transaction on a served database", () => {
  it("keeps the transaction: its writes commit together", async () => {
    const server = await startSqld();
    const database = await openDatabase({ url: server.url });
    try {
      database.exec("CREATE TABLE t (a INTEGER)");
      database.run("INSERT INTO t VALUES (?)", [1]);
      database.transaction(() => {
        database.run("INSERT INTO t VALUES (?)", [2]);
        database.run("INSERT INTO t VALUES (?)", [3]);
      });
      expect(() =>
        database.transaction(() => {
          database.run("INSERT INTO t VALUES (?)", [4]);
          throw new Error("the body fails");
        }),
      ).toThrow("the body fails");
      expect(database.all("SELECT a FROM t ORDER BY a")).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    } finally {
      database.close();
      await server.close();
    }
  });
});

describe("a served transaction whose body reads one row of a longer result", () => {
  it("stays one transaction: the rest of the result is read, so sqld never interrupts the statement and rolls the transaction back", async () => {
    const server = await startSqld();
    const database = await openDatabase({ url: server.url });
    try {
      database.exec("CREATE TABLE rows_t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)");
      database.exec("CREATE TABLE marks (name TEXT PRIMARY KEY)");
      database.run(
        "WITH RECURSIVE n (id) AS (SELECT 0 UNION ALL SELECT id + 1 FROM n WHERE id < 4999) INSERT INTO rows_t (id, v) SELECT id, 0 FROM n",
      );
      // `get` takes the first of 5,000 returned rows. Had the driver dropped the rest of the
      // streamed result (the HTTP body), sqld would interrupt the UPDATE still running and
      // roll the whole transaction back; the second mark would then commit on its own, and
      // the COMMIT find no transaction.
      for (let round = 0; round < 10; round++) {
        database.transaction(() => {
          database.run("INSERT INTO marks (name) VALUES (?)", [`before-${round}`]);
          const first = database.get<{ id: number }>("UPDATE rows_t SET v = v + 1 RETURNING id");
          expect(first).toBeDefined();
          database.run("INSERT INTO marks (name) VALUES (?)", [`after-${round}`]);
        });
      }
      // Outside a transaction the interrupted UPDATE would be undone while its first row came back.
      expect(database.get("UPDATE rows_t SET v = v + 1 RETURNING id")).toBeDefined();
      expect(database.get("SELECT count(*) AS n FROM marks")).toEqual({ n: 20 });
      expect(database.get("SELECT min(v) AS low, max(v) AS high FROM rows_t")).toEqual({ low: 11, high: 11 });
    } finally {
      database.close();
      await server.close();
    }
  });
});

describe("a served database's multi-statement exec", () => {
  it("creates tables exactly as written: a column named like a keyword keeps its name", async () => {
    const server = await startSqld();
    const database = await openDatabase({ url: server.url });
    try {
      database.exec(`
        CREATE TABLE log (seq INTEGER PRIMARY KEY, action TEXT NOT NULL, key TEXT);
        CREATE INDEX log_action ON log (action, seq);
        CREATE TABLE counts (action TEXT PRIMARY KEY, n INTEGER NOT NULL);
        CREATE TRIGGER log_count AFTER INSERT ON log BEGIN
          INSERT INTO counts (action, n) VALUES (new.action, 1) ON CONFLICT (action) DO UPDATE SET n = n + 1;
        END;
      `);
      database.run("INSERT INTO log (action, key) VALUES (?, ?)", ["append", "k1"]);
      database.run("INSERT INTO log (action, key) VALUES (?, ?)", ["append", "k2"]);
      expect(database.all("SELECT * FROM log ORDER BY seq")).toEqual([
        { seq: 1, action: "append", key: "k1" },
        { seq: 2, action: "append", key: "k2" },
      ]);
      expect(database.all("SELECT * FROM counts")).toEqual([{ action: "append", n: 2 }]);
    } finally {
      database.close();
      await server.close();
    }
  });
});

/**
 * `database` whose `exec` of `sql` fails the first `times` times as sqld's interruption does
 * (mapped by the driver's own error text), as when another node's write took the lock: the
 * transaction around it is rolled back by the real database, as sqld rolls it back.
 */
function interruptingExec(database: Database, sql: string, times: number): Database {
  let left = times;
  return new Proxy(database, {
    get(target, key) {
      if (key === "exec") {
        return (text: string) => {
          if (text === sql && left-- > 0) {
            throw mapSqliteError(
              new Error('Hrana(StreamError(Error { message: "SQLite error: interrupted", code: "SQLITE_INTERRUPT" }))'),
              text,
            );
          }
          target.exec(text);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
