/**
 * `Database.batch` on a real sqld: the whole transaction in one request stores exactly what the
 * same statements with bound parameters store, all of it or, when one statement fails, none of
 * it — and the handle goes on working after a failed batch.
 */

import { KernelError } from "@oxios/core";
import { type SqldServer, startSqld } from "@oxios/tooling/sqld";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, SqlValue } from "./database.ts";
import { openDatabase } from "./open-database.ts";
import { mapSqliteError } from "./sqlite-errors.ts";

let server: SqldServer;
let database: Database;

beforeAll(async () => {
  server = await startSqld();
  database = await openDatabase({ url: server.url });
  database.exec(
    `CREATE TABLE items (k INTEGER PRIMARY KEY, "action" TEXT, "key" TEXT UNIQUE, a, n REAL, big INTEGER, data BLOB)`,
  );
});
afterAll(async () => {
  database.close();
  await server.close();
});

const INSERT = `INSERT INTO items (k, "action", "key", a, n, big, data) VALUES (?, ?, ?, ?, ?, ?, ?)`;

function failure(run: () => unknown): KernelError | undefined {
  try {
    run();
  } catch (error) {
    if (KernelError.isInstance(error)) return error;
    throw error;
  }
  return undefined;
}

const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }).filter((one) => !one.includes("\u0000")),
  fc.constantFrom(
    "it's",
    "''",
    "?",
    "?1 ?2",
    ":name @x $y",
    "-- not a comment",
    "/* nor this */",
    "a; b",
    "\n\t",
    "é😀",
    "\\'",
  ),
);
const any: fc.Arbitrary<SqlValue> = fc.oneof(
  text,
  fc.integer(),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);

describe("batch on a served database", () => {
  it("stores what the same statements with bound parameters store", () => {
    let key = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            text,
            any,
            fc.integer(),
            fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
            fc.uint8Array({ maxLength: 8 }),
          ),
          { minLength: 1, maxLength: 5 },
        ),
        (rows) => {
          const bound: number[] = [];
          const batched: number[] = [];
          for (const [action, a, n, big, data] of rows) {
            bound.push(++key);
            database.run(INSERT, [key, action, null, a, n, big, data]);
          }
          database.batch(
            rows.map(([action, a, n, big, data]) => {
              batched.push(++key);
              return { sql: INSERT, params: [key, action, null, a, n, big, data] };
            }),
          );
          const read = (keys: number[]) =>
            keys.map((one) =>
              database.get(
                `SELECT "action", typeof(a) AS ta, a, typeof(n) AS tn, n, typeof(big) AS tbig, big, hex(data) AS data FROM items WHERE k = ?`,
                [one],
              ),
            );
          expect(read(batched)).toEqual(read(bound));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("stores none of a batch when one of its statements fails, and the handle goes on", async () => {
    database.run(INSERT, [-1, "first", "taken", null, 0, 0, null]);
    const error = failure(() =>
      database.batch([
        { sql: INSERT, params: [-2, "before the failure", null, null, 0, 0, null] },
        { sql: INSERT, params: [-3, "the failure", "taken", null, 0, 0, null] },
        { sql: INSERT, params: [-4, "after the failure", null, null, 0, 0, null] },
      ]),
    );
    expect(error?.code).toBe("DATABASE_CONSTRAINT");
    expect(database.inTransaction).toBe(false);
    // Another connection (another node) sees none of it either.
    const other = await openDatabase({ url: server.url });
    try {
      expect(other.all("SELECT k FROM items WHERE k < 0 ORDER BY k")).toEqual([{ k: -1 }]);
    } finally {
      other.close();
    }
    expect(database.all("SELECT k FROM items WHERE k < 0 ORDER BY k")).toEqual([{ k: -1 }]);
    database.batch([{ sql: INSERT, params: [-5, "after", null, null, 0, 0, null] }]);
    expect(database.all("SELECT k FROM items WHERE k < 0 ORDER BY k")).toEqual([{ k: -5 }, { k: -1 }]);
  });

  it("goes statement by statement when a value has no exact literal, all or nothing as well", () => {
    database.batch([
      { sql: INSERT, params: [-10, "fraction", null, null, 0.1, 0, null] },
      { sql: INSERT, params: [-11, "whole", null, null, 1, 0, null] },
    ]);
    expect(database.all("SELECT k, n FROM items WHERE k IN (-10, -11) ORDER BY k")).toEqual([
      { k: -11, n: 1 },
      { k: -10, n: 0.1 },
    ]);
    const error = failure(() =>
      database.batch([
        { sql: INSERT, params: [-12, "fraction", null, null, 0.5, 0, null] },
        { sql: INSERT, params: [-13, "taken", "taken", null, 0, 0, null] },
      ]),
    );
    expect(error?.code).toBe("DATABASE_CONSTRAINT");
    expect(database.all("SELECT k FROM items WHERE k IN (-12, -13)")).toEqual([]);
  });

  it("joins an open transaction: its statements commit or roll back with it", () => {
    expect(() =>
      database.transaction(() => {
        database.batch([{ sql: INSERT, params: [-20, "inside", null, null, 0, 0, null] }]);
        throw new Error("the body fails");
      }),
    ).toThrow("the body fails");
    expect(database.all("SELECT k FROM items WHERE k = -20")).toEqual([]);
  });

  it("gives DATABASE_UNAVAILABLE while the server is away and stores nothing; works again once it is back", async () => {
    await server.stop();
    expect(failure(() => database.batch([{ sql: INSERT, params: [-30, "away", null, null, 0, 0, null] }]))?.code).toBe(
      "DATABASE_UNAVAILABLE",
    );
    await server.start();
    database.batch([{ sql: INSERT, params: [-31, "back", null, null, 0, 0, null] }]);
    expect(database.all("SELECT k FROM items WHERE k IN (-30, -31)")).toEqual([{ k: -31 }]);
  });
});

describe("a failed step's message", () => {
  it("gets the code of the SQLite error it names (the driver drops the code of a batch step)", () => {
    const code = (text: string) => mapSqliteError(new Error(`Hrana(Api("SQLite error: ${text}"))`)).code;
    expect(code("database is locked")).toBe("DATABASE_BUSY");
    // sqld interrupted the step: nothing of the batch stays, and it may be sent again.
    expect(code("interrupted")).toBe("DATABASE_BUSY");
    expect(code("UNIQUE constraint failed: t.a")).toBe("DATABASE_CONSTRAINT");
    expect(code("NOT NULL constraint failed: t.b")).toBe("DATABASE_CONSTRAINT");
    expect(code("database or disk is full")).toBe("DATABASE_FULL");
    expect(code("attempt to write a readonly database")).toBe("DATABASE_READONLY");
    expect(code("no such table: nope")).toBe("DATABASE_FAILED");
  });
});
