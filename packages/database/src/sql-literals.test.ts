/**
 * `inlineParameters` stores exactly what binding stores: for any values, a row inserted through
 * the inlined text and one inserted with bound parameters read back alike (value and SQLite
 * type), on a real libsql database. Values without an exact literal are refused, never rounded.
 */

import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { SqlValue } from "./database.ts";
import { openDatabase } from "./open-database.ts";
import { inlineParameters, sqlLiteral } from "./sql-literals.ts";

const database = await openDatabase({ url: ":memory:" });
database.exec("CREATE TABLE t (k INTEGER, a, b TEXT, c INTEGER, d REAL)");
afterAll(() => database.close());

const value: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.constant(null),
  fc.string({ unit: "binary" }),
  fc.string(),
  fc.constantFrom("it's", "'", "''", "?", "?1", ":name", "-- x", "/* x */", ";", "\n", "é😀", "\\"),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.uint8Array({ maxLength: 16 }),
);

function stored(key: number) {
  return database.get(
    "SELECT typeof(a) AS ta, a, typeof(b) AS tb, b, typeof(c) AS tc, c, typeof(d) AS td, d FROM t WHERE k = ?",
    [key],
  );
}

describe("inlineParameters", () => {
  it("stores what binding the same values stores, or refuses the statement", () => {
    let key = 0;
    fc.assert(
      fc.property(fc.tuple(value, value, value, value), (values) => {
        const sql = "INSERT INTO t (k, a, b, c, d) VALUES (?, ?, ?3, ?, ?5)";
        const bound = ++key;
        const inlinedKey = ++key;
        database.run(sql, [bound, ...values]);
        const text = inlineParameters(sql, [inlinedKey, ...values]);
        if (text === undefined) {
          // Refused only for a value without an exact literal.
          expect(values.some((one) => sqlLiteral(one) === undefined)).toBe(true);
          return;
        }
        database.exec(text);
        expect(stored(inlinedKey)).toEqual(stored(bound));
      }),
      { numRuns: 400 },
    );
  });

  it("leaves placeholders in literals, quoted names and comments alone", () => {
    expect(inlineParameters(`SELECT '?', "?x", [?], \`?\` -- ?\n, ? /* ? */`, ["a"])).toBe(
      `SELECT '?', "?x", [?], \`?\` -- ?\n, 'a' /* ? */`,
    );
    expect(inlineParameters("SELECT 'it''s ?', ?", [1])).toBe("SELECT 'it''s ?', 1.0");
  });

  it("refuses named parameters, missing or unused parameters, and values without an exact literal", () => {
    expect(inlineParameters("SELECT :a", [1])).toBeUndefined();
    expect(inlineParameters("SELECT ?, ?", [1])).toBeUndefined();
    expect(inlineParameters("SELECT ?", [1, 2])).toBeUndefined();
    expect(inlineParameters("SELECT ?", [0.1])).toBeUndefined();
    expect(inlineParameters("SELECT ?", [Number.NaN])).toBeUndefined();
    expect(inlineParameters("SELECT ?", ["a\u0000b"])).toBeUndefined();
    expect(inlineParameters("SELECT ?", [2n ** 63n])).toBeUndefined();
    expect(inlineParameters("SELECT ?2, ?1", [1, "x"])).toBe("SELECT 'x', 1.0");
  });
});
