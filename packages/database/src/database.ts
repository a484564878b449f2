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

/** One statement with its parameters. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/** Rows come back as plain objects keyed by column name (no driver metadata). */
export type Row = Record<string, unknown>;

/**
 * Every method is synchronous and takes no signal ("Abort:" for all of them: a statement runs
 * to its end; a served database's request is bounded by the driver's own timeout). What each
 * throws is in its comment ("Throws:").
 */
export interface Database {
  /** The URL the handle was opened from, as given. */
  readonly url: string;
  /** True for a served database (sqld, `http(s)://` or `libsql://`), false for a file. */
  readonly served: boolean;
  /** False once `close()` ran. */
  readonly isOpen: boolean;
  /** True while a transaction is open on this connection. */
  readonly inTransaction: boolean;
  /**
   * Every row the statement returns. Prepared statements are cached by their SQL text.
   *
   * Throws: `DATABASE_CLOSED` after `close()`; `DATABASE_BUSY`, `DATABASE_CORRUPT`,
   * `DATABASE_IO_FAILED`, `DATABASE_UNAVAILABLE` (a served database out of reach) or
   * `DATABASE_FAILED` (a bad statement) from SQLite.
   */
  all<T = Row>(sql: string, params?: readonly SqlValue[]): T[];
  /**
   * The first row, or `undefined`.
   *
   * Throws: as `all`.
   */
  get<T = Row>(sql: string, params?: readonly SqlValue[]): T | undefined;
  /**
   * Runs a write statement.
   *
   * Throws: as `all`, and `DATABASE_CONSTRAINT`, `DATABASE_FULL`, `DATABASE_READONLY` for a
   * write SQLite refuses.
   */
  run(sql: string, params?: readonly SqlValue[]): RunResult;
  /**
   * Runs parameterless SQL that may hold several statements (DDL, pragmas). Not cached.
   *
   * Throws: as `run`; statements before the failing one stay applied unless inside a transaction.
   */
  exec(sql: string): void;
  /**
   * Runs `body` in one `BEGIN IMMEDIATE` transaction: commits when it returns, rolls back when
   * it throws (and rethrows, coded). Inside an open transaction, `body` simply joins it. The
   * body must be synchronous: one that returns a promise is rolled back with
   * `DATABASE_TRANSACTION_ASYNC`.
   *
   * Throws: `DATABASE_CLOSED`; `DATABASE_BUSY` when the write lock cannot be taken within the
   * busy timeout; `DATABASE_TRANSACTION_ASYNC`; the body's own error, unchanged, after the
   * rollback; a failed `COMMIT` as its `DATABASE_*` code, after the rollback.
   */
  transaction<T>(body: () => T): T;
  /**
   * Runs write `statements` in call order as one transaction, like `transaction` around their
   * `run`s (inside an open transaction they join it). A served database receives the whole
   * transaction in one request, so sqld's write lock is held for one round trip, not one per
   * statement; a statement whose parameters have no exact SQL literal (`sql-literals.ts`)
   * makes the batch go statement by statement instead.
   *
   * Throws: as `transaction`; when it throws, none of the statements is stored.
   */
  batch(statements: readonly Statement[]): void;
  /**
   * Loads a SQLite extension (sqlite-vec) into this connection. A served database refuses with
   * `DATABASE_REMOTE_UNSUPPORTED`: sqld loads its extensions itself (`--extensions-path`).
   *
   * Throws: `DATABASE_CLOSED`, `DATABASE_REMOTE_UNSUPPORTED`, `DATABASE_FAILED` when SQLite
   * cannot load the file.
   */
  loadExtension(path: string): void;
  /**
   * Closes the connection. Idempotent.
   *
   * Throws: the `DATABASE_*` code of a driver that fails to close; the handle is closed either way.
   */
  close(): void;
}
