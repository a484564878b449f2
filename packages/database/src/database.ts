/**
 * The database handle every store works through.
 *
 * Contract for implementations:
 * - Durability: a statement outside `transaction` commits on its own; a `transaction` body's
 *   writes commit together when it returns and are rolled back together when it throws. With
 *   `synchronous: "full"` (the default) a committed transaction survives a crash of the process
 *   and of the machine; with `"normal"`, of the process.
 * - Ordering: statements run in call order on one connection; `transaction` takes the write
 *   lock first (`BEGIN IMMEDIATE`), so a read inside it sees the state it will commit over.
 * - Failures: every method throws a `KernelError` with a `DATABASE_*` code (see
 *   `DatabaseErrorCode`); nothing raw from the driver escapes. After `close()` every method but
 *   `close` throws `DATABASE_CLOSED`.
 * - Parameters always travel as one array: a lone Buffer or typed array never reaches libsql,
 *   which would abort the whole process on it.
 */

/** A value SQLite can bind: TEXT, INTEGER/REAL, INTEGER (64-bit), NULL, BLOB. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/** What a write statement did. */
export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** Rows come back as plain objects keyed by column name (no driver metadata). */
export type Row = Record<string, unknown>;

export interface Database {
  /** The URL the handle was opened from, as given. */
  readonly url: string;
  /** True for a served database (sqld, `http(s)://` or `libsql://`), false for a file. */
  readonly served: boolean;
  /** False once `close()` ran. */
  readonly isOpen: boolean;
  /** True while a transaction is open on this connection. */
  readonly inTransaction: boolean;
  /** Every row the statement returns. Prepared statements are cached by their SQL text. */
  all<T = Row>(sql: string, params?: readonly SqlValue[]): T[];
  /** The first row, or `undefined`. */
  get<T = Row>(sql: string, params?: readonly SqlValue[]): T | undefined;
  /** Runs a write statement. */
  run(sql: string, params?: readonly SqlValue[]): RunResult;
  /** Runs parameterless SQL that may hold several statements (DDL, pragmas). Not cached. */
  exec(sql: string): void;
  /**
   * Runs `body` in one `BEGIN IMMEDIATE` transaction: commits when it returns, rolls back when
   * it throws (and rethrows, coded). Inside an open transaction, `body` simply joins it. The
   * body must be synchronous: one that returns a promise is rolled back with
   * `DATABASE_TRANSACTION_ASYNC`.
   */
  transaction<T>(body: () => T): T;
  /**
   * Loads a SQLite extension (sqlite-vec) into this connection. A served database refuses with
   * `DATABASE_REMOTE_UNSUPPORTED`: sqld loads its extensions itself (`--extensions-path`).
   */
  loadExtension(path: string): void;
  /** Closes the connection. Idempotent. */
  close(): void;
}
