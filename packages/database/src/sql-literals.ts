/**
 * Statements with their parameters written into the SQL text as literals, for the one request
 * that carries a served database's whole transaction (`LibsqlDatabase.batch`): the `libsql`
 * driver sends a multi-statement text to sqld as one Hrana batch, but binds no parameters there.
 *
 * Each literal stores exactly what binding the value would store, or the statement is not
 * inlined at all (`undefined`, and the caller binds as usual):
 * - `null` → `NULL`; a string → `'…'` with `'` doubled (one holding U+0000 is not inlined: the
 *   SQL text would end there);
 * - a number: the driver binds every JavaScript number as a REAL, so an integral one within
 *   ±2^53 becomes `3.0`; any other number is not inlined (a decimal text SQLite converts back
 *   may differ in its last bit; NaN and infinities have no literal);
 * - a bigint within 64 bits → an INTEGER literal; bytes → `X'…'`.
 * Placeholders are `?` and `?NNN`; a statement with named parameters (`:a`, `@a`, `$a`) is not
 * inlined. Placeholders inside string literals, quoted identifiers and comments are text.
 */

import type { SqlValue } from "./database.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The SQL literal that stores what binding `value` stores, or undefined when there is none. */
export function sqlLiteral(value: SqlValue): string | undefined {
  if (value === null) return "NULL";
  switch (typeof value) {
    case "string":
      return value.includes("\u0000") ? undefined : `'${value.replaceAll("'", "''")}'`;
    case "number": {
      if (!Number.isInteger(value) || Math.abs(value) > 2 ** 53) return undefined;
      if (Object.is(value, -0)) return "-0.0";
      return `${value}.0`;
    }
    case "bigint":
      return value < INT64_MIN || value > INT64_MAX ? undefined : value.toString();
    default:
      return value instanceof Uint8Array ? `X'${Buffer.from(value).toString("hex")}'` : undefined;
  }
}

/**
 * `sql` with every placeholder replaced by the literal of its parameter, or undefined when a
 * value has no exact literal, a placeholder is named, or the parameters do not match.
 */
export function inlineParameters(sql: string, params: readonly SqlValue[]): string | undefined {
  let out = "";
  let from = 0;
  let next = 0;
  let used = 0;
  let index = 0;
  while (index < sql.length) {
    const char = sql[index] as string;
    if (char === "'" || char === '"' || char === "`" || char === "[") {
      const close = char === "[" ? "]" : char;
      let end = index + 1;
      for (;;) {
        end = sql.indexOf(close, end);
        if (end === -1) return undefined;
        // A doubled quote inside a quoted text is one quote.
        if (close !== "]" && sql[end + 1] === close) {
          end += 2;
          continue;
        }
        break;
      }
      index = end + 1;
    } else if (char === "-" && sql[index + 1] === "-") {
      const end = sql.indexOf("\n", index);
      index = end === -1 ? sql.length : end + 1;
    } else if (char === "/" && sql[index + 1] === "*") {
      const end = sql.indexOf("*/", index + 2);
      if (end === -1) return undefined;
      index = end + 2;
    } else if (char === "?") {
      let end = index + 1;
      while (end < sql.length && /[0-9]/.test(sql[end] as string)) end++;
      // `?NNN` is parameter NNN; a bare `?` is the one after the largest number so far.
      const position = end > index + 1 ? Number(sql.slice(index + 1, end)) : next + 1;
      if (!Number.isSafeInteger(position) || position < 1 || position > params.length) return undefined;
      const literal = sqlLiteral(params[position - 1] as SqlValue);
      if (literal === undefined) return undefined;
      out += `${sql.slice(from, index)}${literal}`;
      from = end;
      next = Math.max(next, position);
      used = Math.max(used, position);
      index = end;
    } else if ((char === ":" || char === "@" || char === "$") && /[A-Za-z0-9_]/.test(sql[index + 1] ?? "")) {
      return undefined;
    } else {
      index++;
    }
  }
  // Parameters no placeholder takes: binding them would fail (SQLITE_RANGE).
  if (used !== params.length) return undefined;
  return out + sql.slice(from);
}
