/**
 * The stable error codes @oxios/database throws (as `KernelError.code`). Every store built on
 * this package lets them through, so a busy or full database reads the same whichever store
 * hit it. Callers branch on these; messages are for people and may change. `details.sqliteCode`
 * carries the driver's code (`SQLITE_CONSTRAINT_UNIQUE`, …) where there is one.
 */
export const DatabaseErrorCode = {
  /** The URL is empty or names a scheme that is not a database (`ftp:`, …). */
  urlInvalid: "DATABASE_URL_INVALID",
  /** An `http(s)://`, `libsql://` or `ws(s)://` URL: served databases (sqld) are not supported yet. */
  remoteUnsupported: "DATABASE_REMOTE_UNSUPPORTED",
  /** The file could not be opened (missing directory, no permission, a directory in its place). */
  openFailed: "DATABASE_OPEN_FAILED",
  /** Another connection held the lock for longer than the busy timeout (`SQLITE_BUSY`, `SQLITE_LOCKED`). */
  busy: "DATABASE_BUSY",
  /** The disk, or the database's page limit, is full (`SQLITE_FULL`). */
  full: "DATABASE_FULL",
  /** The file is damaged or is not a database (`SQLITE_CORRUPT`, `SQLITE_NOTADB`). */
  corrupt: "DATABASE_CORRUPT",
  /** A UNIQUE, PRIMARY KEY, CHECK, NOT NULL or FOREIGN KEY constraint refused a write (`SQLITE_CONSTRAINT*`). */
  constraint: "DATABASE_CONSTRAINT",
  /** The file or its directory is read-only for this process (`SQLITE_READONLY*`). */
  readonly: "DATABASE_READONLY",
  /** The operating system failed a read or write (`SQLITE_IOERR*`). */
  ioFailed: "DATABASE_IO_FAILED",
  /** The handle was closed; nothing ran. */
  closed: "DATABASE_CLOSED",
  /** A transaction body returned a promise: the body must be synchronous; nothing was committed. */
  transactionAsync: "DATABASE_TRANSACTION_ASYNC",
  /** A migration set is malformed: a bad prefix, or versions that are not 1, 2, 3… in order. */
  migrationInvalid: "DATABASE_MIGRATION_INVALID",
  /** A migration's SQL failed; its transaction was rolled back and the recorded version is unchanged. */
  migrationFailed: "DATABASE_MIGRATION_FAILED",
  /** The database records a newer schema version for a prefix than this code knows; nothing was changed. */
  schemaTooNew: "DATABASE_SCHEMA_TOO_NEW",
  /** Any other database failure (a statement SQLite refuses, an unexpected driver error). */
  failed: "DATABASE_FAILED",
} as const;

export type DatabaseErrorCodeValue = (typeof DatabaseErrorCode)[keyof typeof DatabaseErrorCode];
