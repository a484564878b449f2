/**
 * The one translation of driver errors into coded `KernelError`s (the model is libsql-client-ts
 * `mapSqliteError`). Every statement, transaction and open of this package passes its failures
 * through here, so no store sees a raw `SqliteError`.
 */

import { KernelError } from "@oxios/core";
import { DatabaseErrorCode, type DatabaseErrorCodeValue } from "./error-codes.ts";

/**
 * The driver's code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, …), when it has one. A served
 * database's error carries it only inside the message (`Hrana(StreamError(Error { message: …,
 * code: "SQLITE_CONSTRAINT" }))`).
 */
function sqliteCodeOf(error: unknown, message: string): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("SQLITE_")) return code;
  return /\bcode: "(SQLITE_[A-Z_]+)"/.exec(message)?.[1] ?? batchStepCode(message);
}

/**
 * SQLite's own messages for its result codes (`sqlite3ErrStr`) and its constraint failures.
 * A failed step of a served batch (`Database.batch`) reaches the driver's caller as its message
 * alone (`Hrana(Api("SQLite error: UNIQUE constraint failed: t.a"))`), without the code.
 */
const STEP_MESSAGES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^database is locked/, "SQLITE_BUSY"],
  [/^database table is locked/, "SQLITE_LOCKED"],
  [/^interrupted/, "SQLITE_INTERRUPT"],
  [/constraint failed/, "SQLITE_CONSTRAINT"],
  [/^database or disk is full/, "SQLITE_FULL"],
  [/^attempt to write a readonly database/, "SQLITE_READONLY"],
  [/^database disk image is malformed/, "SQLITE_CORRUPT"],
  [/^file is not a database/, "SQLITE_NOTADB"],
  [/^disk I\/O error/, "SQLITE_IOERR"],
];

function batchStepCode(message: string): string | undefined {
  const text = /^Hrana\(Api\("SQLite error: (.*)"\)\)$/s.exec(message)?.[1];
  if (text === undefined) return undefined;
  return STEP_MESSAGES.find(([pattern]) => pattern.test(text))?.[1];
}

/**
 * A served database the driver could not talk to: the connection was refused, reset, closed
 * or timed out, the server no longer knows the connection's stream (`invalid baton`,
 * `STREAM_EXPIRED`), or it answered with an HTTP error instead of a result (a proxy's 502, a
 * server shutting down).
 */
function isUnreachable(message: string): boolean {
  return /^Hrana\((Http|Io)\(|error trying to connect|connection (refused|reset|closed)|broken pipe|timed out|invalid baton|STREAM_EXPIRED|os error 1(04|10|11)\b|status=5\d\d/i.test(
    message,
  );
}

/**
 * sqld rolled a write transaction back because another connection claimed the write lock after
 * the transaction had held it for sqld's transaction timeout (lock stealing): its next statement
 * is answered "Transaction timed out", or its COMMIT finds no transaction. Nothing of it was
 * committed, as with `SQLITE_BUSY`.
 */
function isLockLost(message: string): boolean {
  return /Hrana\(Api\("Transaction timed out"\)\)|cannot commit - no transaction is active|TRANSACTION_TIMEOUT/.test(
    message,
  );
}

/** A served database refused the token (HTTP 401 or 403). */
function isUnauthorized(message: string): boolean {
  return /status=40[13]\b/.test(message);
}

function codeFor(sqliteCode: string | undefined, error: unknown, message: string): DatabaseErrorCodeValue {
  if (isLockLost(message)) return DatabaseErrorCode.busy;
  if (sqliteCode === undefined && isUnreachable(message)) return DatabaseErrorCode.unavailable;
  if (sqliteCode === undefined && isUnauthorized(message)) return DatabaseErrorCode.openFailed;
  if (sqliteCode !== undefined) {
    const base = sqliteCode.replace(/^(SQLITE_[A-Z]+).*$/, "$1");
    switch (base) {
      case "SQLITE_BUSY":
      case "SQLITE_LOCKED":
      // sqld interrupts a connection whose streamed result the client stopped reading, and the
      // interruption can land on the connection's next statement: SQLite undoes an interrupted
      // write with its whole transaction, so nothing of it was written.
      case "SQLITE_INTERRUPT":
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
  const sqliteCode = sqliteCodeOf(error, message);
  const details: Record<string, unknown> = {};
  if (sqliteCode !== undefined) details.sqliteCode = sqliteCode;
  if (statement !== undefined) details.statement = statement.slice(0, 200);
  return new KernelError(codeFor(sqliteCode, error, message), `database: ${message}`, { cause: error, details });
}

/** sqld interrupted the statement (see `codeFor`): outside a transaction it did nothing, and may run again. */
export function isInterrupted(error: KernelError): boolean {
  return error.code === DatabaseErrorCode.busy && error.details?.sqliteCode === "SQLITE_INTERRUPT";
}

/**
 * A served database did not know the connection's stream: it restarted (`invalid baton`) or
 * expired the stream after some idle seconds (`STREAM_EXPIRED`). Nothing of the request ran,
 * so it may be tried once more on a fresh connection.
 */

export function isStreamLost(error: KernelError): boolean {
  return error.code === DatabaseErrorCode.unavailable && /invalid baton|STREAM_EXPIRED/i.test(error.message);
}
