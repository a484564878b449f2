/**
 * The one translation of driver errors into coded `KernelError`s (the model is libsql-client-ts
 * `mapSqliteError`). Every statement, transaction and open of this package passes its failures
 * through here, so no store sees a raw `SqliteError`.
 */

import { KernelError } from "@oxios/core";
import { DatabaseErrorCode, type DatabaseErrorCodeValue } from "./error-codes.ts";

/** The driver's code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, …), when it has one. */
function sqliteCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

function codeFor(sqliteCode: string | undefined, error: unknown, message: string): DatabaseErrorCodeValue {
  if (sqliteCode !== undefined) {
    const base = sqliteCode.replace(/^(SQLITE_[A-Z]+).*$/, "$1");
    switch (base) {
      case "SQLITE_BUSY":
      case "SQLITE_LOCKED":
        return DatabaseErrorCode.busy;
      case "SQLITE_FULL":
        return DatabaseErrorCode.full;
      case "SQLITE_CORRUPT":
      case "SQLITE_NOTADB":
        return DatabaseErrorCode.corrupt;
      case "SQLITE_CONSTRAINT":
        return DatabaseErrorCode.constraint;
      case "SQLITE_CANTOPEN":
        return DatabaseErrorCode.openFailed;
      case "SQLITE_READONLY":
        return DatabaseErrorCode.readonly;
      case "SQLITE_IOERR":
        return DatabaseErrorCode.ioFailed;
    }
    return DatabaseErrorCode.failed;
  }
  // libsql reports a failed open as a plain Error ("ConnectionFailed(\"Unable to open connection
  // to local database …: 14\")", 14 being SQLITE_CANTOPEN) and a statement on a closed
  // connection as a TypeError; neither carries a code.
  if (/unable to open|cannot open|ConnectionFailed/i.test(message)) return DatabaseErrorCode.openFailed;
  if (error instanceof TypeError && /not open/i.test(message)) return DatabaseErrorCode.closed;
  return DatabaseErrorCode.failed;
}

/**
 * A thrown value as a coded `KernelError`: a `KernelError` passes through unchanged; anything
 * else gets the code its SQLite error means, the driver's error as `cause`, and
 * `details.sqliteCode` and `details.statement` (the first 200 characters) where known.
 */
export function mapSqliteError(error: unknown, statement?: string): KernelError {
  if (KernelError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const sqliteCode = sqliteCodeOf(error);
  const details: Record<string, unknown> = {};
  if (sqliteCode !== undefined) details.sqliteCode = sqliteCode;
  if (statement !== undefined) details.statement = statement.slice(0, 200);
  return new KernelError(codeFor(sqliteCode, error, message), `database: ${message}`, { cause: error, details });
}
