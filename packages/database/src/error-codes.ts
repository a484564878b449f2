/**
 * The stable error codes @oxios/database throws (as `KernelError.code`). Every store built on
 * this package lets them through, so a busy or full database reads the same whichever store
 * hit it. Callers branch on these; messages are for people and may change. `details.sqliteCode`
 * carries the driver's code (`SQLITE_CONSTRAINT_UNIQUE`, …) where there is one.
 */

import { defineErrorCodes } from "@oxios/core";

export const DatabaseErrorCode = defineErrorCodes("@oxios/database", {
  urlInvalid: {
    code: "DATABASE_URL_INVALID",
    kind: "invalid",
    description: "The URL is empty or names a scheme that is not a database (`ftp:`, …).",
  },
  remoteUnsupported: {
    code: "DATABASE_REMOTE_UNSUPPORTED",
    kind: "invalid",
    description:
      "What a served database (sqld) cannot do through this driver: a `ws(s)://` URL (use `http(s)://` or `libsql://`), or loading an extension into the connection (sqld loads its own with `--extensions-path`).",
  },
  unavailable: {
    code: "DATABASE_UNAVAILABLE",
    kind: "unavailable",
    description:
      "A served database (sqld) cannot be reached: connection refused, reset or timed out. A statement whose answer was cut off may or may not have run; try again when the server is back.",
  },
  openFailed: {
    code: "DATABASE_OPEN_FAILED",
    kind: "internal",
    description: "The file could not be opened (missing directory, no permission, a directory in its place).",
  },
  busy: {
    code: "DATABASE_BUSY",
    kind: "unavailable",
    description:
      "Another connection held the lock for longer than the busy timeout (`SQLITE_BUSY`, `SQLITE_LOCKED`), sqld gave a transaction's write lock to another connection after its transaction timeout, or sqld interrupted the statement (`SQLITE_INTERRUPT`); nothing of the statement or transaction was written.",
  },
  full: {
    code: "DATABASE_FULL",
    kind: "unavailable",
    description: "The disk, or the database's page limit, is full (`SQLITE_FULL`).",
  },
  corrupt: {
    code: "DATABASE_CORRUPT",
    kind: "internal",
    description: "The file is damaged or is not a database (`SQLITE_CORRUPT`, `SQLITE_NOTADB`).",
  },
  constraint: {
    code: "DATABASE_CONSTRAINT",
    kind: "conflict",
    description:
      "A UNIQUE, PRIMARY KEY, CHECK, NOT NULL or FOREIGN KEY constraint refused a write (`SQLITE_CONSTRAINT*`).",
  },
  readonly: {
    code: "DATABASE_READONLY",
    kind: "internal",
    description: "The file or its directory is read-only for this process (`SQLITE_READONLY*`).",
  },
  ioFailed: {
    code: "DATABASE_IO_FAILED",
    kind: "internal",
    description: "The operating system failed a read or write (`SQLITE_IOERR*`).",
  },
  closed: {
    code: "DATABASE_CLOSED",
    kind: "unavailable",
    description: "The handle was closed; nothing ran.",
  },
  transactionAsync: {
    code: "DATABASE_TRANSACTION_ASYNC",
    kind: "internal",
    description: "A transaction body returned a promise: the body must be synchronous; nothing was committed.",
  },
  migrationInvalid: {
    code: "DATABASE_MIGRATION_INVALID",
    kind: "invalid",
    description: "A migration set is malformed: a bad prefix, or versions that are not 1, 2, 3… in order.",
  },
  migrationFailed: {
    code: "DATABASE_MIGRATION_FAILED",
    kind: "internal",
    description: "A migration's SQL failed; its transaction was rolled back and the recorded version is unchanged.",
  },
  schemaTooNew: {
    code: "DATABASE_SCHEMA_TOO_NEW",
    kind: "conflict",
    description: "The database records a newer schema version for a prefix than this code knows; nothing was changed.",
  },
  failed: {
    code: "DATABASE_FAILED",
    kind: "internal",
    description: "Any other database failure (a statement SQLite refuses, an unexpected driver error).",
  },
});

export type DatabaseErrorCodeValue = (typeof DatabaseErrorCode)[keyof typeof DatabaseErrorCode];
