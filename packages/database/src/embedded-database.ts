/**
 * The embedded `Database`: one connection of the synchronous `libsql` driver to a local file
 * (or `:memory:`). Synchronous on purpose: point reads are several times faster than through
 * the async client, and the stores run whole group commits as synchronous transactions.
 *
 * Every statement goes through `#statement` and `parameters`: the SQL text is prepared once
 * and cached (least recently used first out), and parameters always reach libsql as an array.
 */

import { KernelError, type Logger } from "@oxios/core";
import type Libsql from "libsql";
import type { Database, Row, RunResult, SqlValue } from "./database.ts";
import { DatabaseErrorCode } from "./error-codes.ts";
import { mapSqliteError } from "./sqlite-errors.ts";

type Connection = InstanceType<typeof Libsql>;
type Statement = ReturnType<Connection["prepare"]>;

/** How many prepared statements a connection keeps; dynamic SQL (filters) must not grow it without bound. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The one place parameters are handed to libsql. libsql aborts the process (a Rust panic,
 * uncatchable) when a statement's only argument is a lone Buffer or typed array, because it
 * takes any single object for named parameters; an array is always bound positionally. A
 * caller that passes one value instead of an array (possible from JavaScript or through a
 * cast) gets it wrapped.
 */
export function parameters(params: readonly SqlValue[] | SqlValue | undefined): readonly SqlValue[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? params : [params as SqlValue];
}

export interface EmbeddedDatabaseOptions {
  /** The URL it was opened from, for messages. */
  url: string;
  /** Receives what cannot be thrown (a failed rollback). */
  logger: Logger;
}

export class EmbeddedDatabase implements Database {
  readonly url: string;
  readonly #connection: Connection;
  readonly #logger: Logger;
  readonly #statements = new Map<string, Statement>();
  #open = true;

  /** Takes over an open connection; `openDatabase` is the way in. */
  constructor(connection: Connection, options: EmbeddedDatabaseOptions) {
    this.#connection = connection;
    this.url = options.url;
    this.#logger = options.logger;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get inTransaction(): boolean {
    return this.#open && this.#connection.inTransaction;
  }

  all<T = Row>(sql: string, params?: readonly SqlValue[]): T[] {
    const statement = this.#statement(sql);
    try {
      return statement.all(parameters(params)) as T[];
    } catch (error) {
      throw mapSqliteError(error, sql);
    }
  }

  get<T = Row>(sql: string, params?: readonly SqlValue[]): T | undefined {
    const statement = this.#statement(sql);
    let row: (Row & { _metadata?: unknown }) | undefined;
    try {
      row = statement.get(parameters(params)) as (Row & { _metadata?: unknown }) | undefined;
    } catch (error) {
      throw mapSqliteError(error, sql);
    }
    // libsql's `get` (not `all`) adds a `_metadata` field with the statement's duration.
    if (row !== undefined && row !== null && "_metadata" in row) delete row._metadata;
    return (row ?? undefined) as T | undefined;
  }

  run(sql: string, params?: readonly SqlValue[]): RunResult {
    const statement = this.#statement(sql);
    try {
      const { changes, lastInsertRowid } = statement.run(parameters(params)) as RunResult;
      return { changes, lastInsertRowid };
    } catch (error) {
      throw mapSqliteError(error, sql);
    }
  }

  exec(sql: string): void {
    this.#assertOpen();
    try {
      this.#connection.exec(sql);
    } catch (error) {
      throw mapSqliteError(error, sql);
    }
  }

  transaction<T>(body: () => T): T {
    this.#assertOpen();
    if (this.#connection.inTransaction) return body();
    this.exec("BEGIN IMMEDIATE");
    let result: T;
    try {
      result = body();
    } catch (error) {
      // The body's own error, unchanged: its statements already threw coded errors.
      this.#rollback(error);
      throw error;
    }
    if (result instanceof Promise) {
      // The promise's own outcome still reaches whoever holds it; only the writes are undone.
      const error = new KernelError(
        DatabaseErrorCode.transactionAsync,
        "a transaction body returned a promise; it must do its work synchronously",
      );
      this.#rollback(error);
      throw error;
    }
    try {
      this.#connection.exec("COMMIT");
    } catch (error) {
      this.#rollback(error);
      throw mapSqliteError(error, "COMMIT");
    }
    return result;
  }

  loadExtension(path: string): void {
    this.#assertOpen();
    try {
      this.#connection.loadExtension(path);
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  /**
   * Checkpoints the write-ahead log into the database file and truncates it, then closes the
   * connection. libsql does not checkpoint when a connection closes, so without this a stopped
   * kernel leaves its last writes (megabytes) in `-wal`. A checkpoint another process blocks
   * is logged, not thrown: the log stays valid and the next open replays it.
   */
  close(): void {
    if (!this.#open) return;
    this.#checkpoint();
    this.#open = false;
    this.#statements.clear();
    try {
      this.#connection.close();
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  #checkpoint(): void {
    try {
      // In-memory and rollback-journal databases answer busy 0, log -1: nothing to do.
      const result = this.#connection.prepare("PRAGMA wal_checkpoint(TRUNCATE)").get([]) as
        | { busy: number; log: number; checkpointed: number }
        | undefined;
      if (result !== undefined && result.busy !== 0) {
        this.#logger.warn("the write-ahead log could not be checkpointed at close; it is replayed at the next open", {
          url: this.url,
          log: result.log,
          checkpointed: result.checkpointed,
        });
      }
    } catch (error) {
      this.#logger.warn("the write-ahead log could not be checkpointed at close; it is replayed at the next open", {
        url: this.url,
        error: mapSqliteError(error, "PRAGMA wal_checkpoint(TRUNCATE)"),
      });
    }
  }

  #assertOpen(): void {
    // After close(), libsql keeps running cached statements, and reading `inTransaction` aborts
    // the process (a Rust panic); refuse everything here instead.
    if (!this.#open) throw new KernelError(DatabaseErrorCode.closed, `the database ${this.url} is closed`);
  }

  #statement(sql: string): Statement {
    this.#assertOpen();
    let statement = this.#statements.get(sql);
    if (statement !== undefined) {
      // Most recently used last: the oldest entry is the one evicted.
      this.#statements.delete(sql);
      this.#statements.set(sql, statement);
      return statement;
    }
    try {
      statement = this.#connection.prepare(sql);
    } catch (error) {
      throw mapSqliteError(error, sql);
    }
    this.#statements.set(sql, statement);
    if (this.#statements.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    return statement;
  }

  #rollback(cause: unknown): void {
    // SQLite rolls back by itself after some failures (SQLITE_FULL, an I/O error); then there
    // is nothing left to roll back, and trying would hide the real error.
    if (!this.#connection.inTransaction) return;
    try {
      this.#connection.exec("ROLLBACK");
    } catch (error) {
      this.#logger.error("rollback failed after a failed transaction", {
        url: this.url,
        error: mapSqliteError(error),
        cause: mapSqliteError(cause),
      });
    }
  }
}
