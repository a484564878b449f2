/**
 * The `Database`: one connection of the synchronous `libsql` driver, to a local file (or
 * `:memory:`) or to a served database (sqld over HTTP; the driver waits for each answer).
 * Synchronous on purpose: point reads are several times faster than through the async client,
 * and the stores run whole group commits as synchronous transactions, embedded or served.
 *
 * Every statement goes through `#statement` and `parameters`: the SQL text is prepared once
 * and cached (least recently used first out; a served connection's per transaction state, see
 * `#statement`), and parameters always reach libsql as an array.
 */

import { KernelError, type Logger } from "@oxios/core";
import type Libsql from "libsql";
import type { Database, Row, RunResult, SqlValue, Statement as Write } from "./database.ts";
import { DatabaseErrorCode } from "./error-codes.ts";
import { inlineParameters } from "./sql-literals.ts";
import { splitStatements } from "./sql-statements.ts";
import { isInterrupted, isStreamLost, mapSqliteError } from "./sqlite-errors.ts";

type Connection = InstanceType<typeof Libsql>;
type Statement = ReturnType<Connection["prepare"]>;

/** How many prepared statements a connection keeps; dynamic SQL (filters) must not grow it without bound. */
const STATEMENT_CACHE_SIZE = 256;
/** How many times a statement sqld interrupted (`SQLITE_INTERRUPT`, see `codeFor`) is tried again where that is safe. */
const INTERRUPTED_ATTEMPTS = 3;

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

export interface LibsqlDatabaseOptions {
  /** The URL it was opened from, for messages. */
  url: string;
  /** Receives what cannot be thrown (a failed rollback). */
  logger: Logger;
  /**
   * Set for a served database (sqld): opens a fresh connection to the same server. The driver
   * keeps one Hrana stream per connection, and a stream the server no longer knows (it
   * restarted, or the network dropped it) fails every later statement; the handle then
   * replaces the connection at its next use outside a transaction.
   */
  reconnect?: () => Connection;
}

export class LibsqlDatabase implements Database {
  readonly url: string;
  readonly served: boolean;
  #connection: Connection;
  readonly #reconnect: (() => Connection) | undefined;
  readonly #logger: Logger;
  readonly #statements = new Map<string, Statement>();
  #open = true;
  /** Served only: the connection failed to reach the server and is replaced at its next use. */
  #broken = false;
  /** A `transaction` body is running (its statements must not switch connections). */
  #inBody = false;
  /**
   * The running body's transaction is gone: a statement of it failed busy (lock lost,
   * interrupted) or unavailable, and the server rolled the transaction back. Later statements
   * of the body would run on their own, outside it; they fail with this instead.
   */
  #lost: KernelError | undefined;

  /** Takes over an open connection; `openDatabase` is the way in. */
  constructor(connection: Connection, options: LibsqlDatabaseOptions) {
    this.#connection = connection;
    this.url = options.url;
    this.served = options.reconnect !== undefined;
    this.#reconnect = options.reconnect;
    this.#logger = options.logger;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get inTransaction(): boolean {
    // A body still running counts, even after sqld took its transaction away.
    return this.#open && !this.#broken && (this.#inBody || this.#connection.inTransaction);
  }

  all<T = Row>(sql: string, params?: readonly SqlValue[]): T[] {
    return this.#execute(sql, (statement) => statement.all(parameters(params)) as T[]);
  }

  get<T = Row>(sql: string, params?: readonly SqlValue[]): T | undefined {
    // A served statement's rows arrive as a stream (Hrana's cursor). The driver's `get` stops
    // reading after the first row and drops the rest; sqld then interrupts the statement if it
    // is still running, and SQLite rolls an interrupted write back with its whole transaction,
    // while the caller already holds the first row (an `UPDATE … RETURNING` it takes as done).
    // Reading every row lets the statement finish first.
    if (this.served) return this.all<T>(sql, params)[0];
    const row = this.#execute(
      sql,
      (statement) => statement.get(parameters(params)) as (Row & { _metadata?: unknown }) | undefined,
    );
    // libsql's `get` (not `all`) adds a `_metadata` field with the statement's duration.
    if (row !== undefined && row !== null && "_metadata" in row) delete row._metadata;
    return (row ?? undefined) as T | undefined;
  }

  run(sql: string, params?: readonly SqlValue[]): RunResult {
    return this.#execute(sql, (statement) => {
      const { changes, lastInsertRowid } = statement.run(parameters(params)) as RunResult;
      return { changes, lastInsertRowid };
    });
  }

  exec(sql: string): void {
    this.#assertOpen();
    if (!this.served) {
      this.#attempt(sql, () => this.#connection.exec(sql));
      return;
    }
    // One statement at a time: the driver re-prints a served database's multi-statement text,
    // upper-casing identifiers that are keywords (see `splitStatements`).
    for (const statement of splitStatements(sql)) this.#attempt(statement, () => this.#usable().exec(statement));
  }

  transaction<T>(body: () => T): T {
    this.#assertOpen();
    if (this.#inBody || this.#usable().inTransaction) return body();
    this.exec("BEGIN IMMEDIATE");
    let result: T;
    this.#inBody = true;
    this.#lost = undefined;
    try {
      result = body();
    } catch (error) {
      // The body's own error, unchanged: its statements already threw coded errors.
      this.#rollback(error);
      throw error;
    } finally {
      this.#inBody = false;
    }
    const lost = this.#lost;
    if (lost !== undefined) {
      // The body caught its statement's failure and returned: the transaction is gone all the same.
      this.#rollback(lost);
      throw lost;
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
      const failure = this.#failure(error, "COMMIT");
      this.#rollback(failure);
      throw failure;
    }
    return result;
  }

  batch(statements: readonly Write[]): void {
    this.#assertOpen();
    if (statements.length === 0) return;
    const text = this.served && !this.#inBody && !this.#usable().inTransaction ? servedBatch(statements) : undefined;
    if (text === undefined) {
      this.transaction(() => {
        for (const statement of statements) this.run(statement.sql, statement.params);
      });
      return;
    }
    // One request: the driver sends the statements as one Hrana batch, each step run only when
    // the one before it succeeded, so a failed step leaves COMMIT unrun.
    try {
      this.#attempt((statements[0] as Write).sql, () => this.#usable().exec(text));
    } catch (error) {
      this.#endFailedBatch(error);
      throw error;
    }
  }

  loadExtension(path: string): void {
    this.#assertOpen();
    if (this.served) {
      throw new KernelError(
        DatabaseErrorCode.remoteUnsupported,
        `a served database loads its own extensions (sqld --extensions-path); cannot load ${path} into ${this.url}`,
        { details: { path } },
      );
    }
    try {
      this.#connection.loadExtension(path);
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  /**
   * Closes the connection; a file's write-ahead log is first checkpointed into the database
   * file and truncated. libsql does not checkpoint when a connection closes, so without this a
   * stopped kernel leaves its last writes (megabytes) in `-wal`. A checkpoint another process
   * blocks is logged, not thrown: the log stays valid and the next open replays it. A served
   * database's server owns its files.
   */
  close(): void {
    if (!this.#open) return;
    if (!this.served) this.#checkpoint();
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

  /**
   * The connection to use now. A served connection that lost the server is replaced here,
   * outside a transaction; inside one, its transaction is gone with the stream, so every
   * statement of the body fails at once.
   */
  #usable(): Connection {
    if (!this.#broken || this.#reconnect === undefined) return this.#connection;
    if (this.#inBody) {
      throw new KernelError(
        DatabaseErrorCode.unavailable,
        `database: the connection to ${this.url} was lost inside this transaction; nothing of it was committed`,
      );
    }
    const previous = this.#connection;
    this.#connection = this.#reconnect();
    this.#statements.clear();
    this.#broken = false;
    try {
      previous.close();
    } catch (error) {
      this.#logger.debug("closing a lost connection failed", { url: this.url, error: mapSqliteError(error) });
    }
    return this.#connection;
  }

  /** The coded error for a failure; a served connection that lost the server is marked for replacement. */
  #failure(error: unknown, sql?: string): KernelError {
    const failure = mapSqliteError(error, sql);
    if (this.#reconnect !== undefined && failure.code === DatabaseErrorCode.unavailable) this.#broken = true;
    return failure;
  }

  /**
   * Runs one statement. Outside a transaction, a statement the server refused because it no
   * longer knew the connection's stream (nothing of it ran) is tried once more on a fresh one.
   */
  #execute<T>(sql: string, run: (statement: Statement) => T): T {
    return this.#attempt(sql, () => run(this.#statement(sql)));
  }

  /**
   * `work` once, and once more on a fresh connection when, outside a transaction body, the
   * server did not know the connection's stream: it restarted, or expired the stream after a
   * few idle seconds (sqld's `STREAM_EXPIRED`). Nothing of the first attempt ran.
   */
  #attempt<T>(sql: string, work: () => T): T {
    if (this.#inBody && this.#lost !== undefined) {
      throw new KernelError(
        this.#lost.code,
        `database: this transaction was lost at an earlier statement; nothing of it is committed (${this.#lost.message})`,
        { cause: this.#lost, details: { statement: sql.slice(0, 200) } },
      );
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return work();
      } catch (error) {
        const failure = this.#failure(error, sql);
        if (
          this.#inBody &&
          (failure.code === DatabaseErrorCode.busy || failure.code === DatabaseErrorCode.unavailable)
        ) {
          this.#lost = failure;
        }
        if (attempt === 0 && !this.#inBody && this.#broken && isStreamLost(failure)) continue;
        // Interrupted outside a transaction body, the statement did nothing: it runs again.
        if (attempt < INTERRUPTED_ATTEMPTS && !this.#inBody && isInterrupted(failure)) continue;
        throw failure;
      }
    }
  }

  #statement(sql: string): Statement {
    this.#assertOpen();
    const connection = this.#usable();
    // The driver's served statement keeps the transaction state of the moment it was prepared:
    // one prepared outside a transaction closes the server's stream after it runs, which inside
    // a transaction would end that transaction (its writes lost, COMMIT finding none). So a
    // served connection caches a statement per state.
    const key = this.served && connection.inTransaction ? `\u0000${sql}` : sql;
    let statement = this.#statements.get(key);
    if (statement !== undefined) {
      // Most recently used last: the oldest entry is the one evicted.
      this.#statements.delete(key);
      this.#statements.set(key, statement);
      return statement;
    }
    statement = this.#prepare(connection, sql);
    this.#statements.set(key, statement);
    if (this.#statements.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    return statement;
  }

  /**
   * After a failed batch the server has dropped its transaction (the request closed its stream),
   * but the driver still counts one open on the connection; a ROLLBACK, which the server
   * answers with "no transaction is active", brings the driver back in line.
   */
  #endFailedBatch(cause: unknown): void {
    if (this.#broken || !this.#connection.inTransaction) return;
    try {
      this.#connection.exec("ROLLBACK");
    } catch (error) {
      const failure = this.#failure(error, "ROLLBACK");
      if (/no transaction is active/.test(failure.message)) return;
      this.#logger.error("rollback failed after a failed batch", {
        url: this.url,
        error: failure,
        cause: mapSqliteError(cause),
      });
    }
  }

  /**
   * Prepares `sql`. sqld answers a served prepare itself (the driver asks it to describe the
   * statement), and it interrupts a connection's work, a prepare among it, once the driver
   * stopped reading a streamed result before its end, until the connection runs its next
   * statement: then one trivial statement runs, and the prepare (which runs nothing) is tried
   * again, inside a transaction too.
   */
  #prepare(connection: Connection, sql: string): Statement {
    for (let attempt = 0; ; attempt++) {
      try {
        return connection.prepare(sql);
      } catch (error) {
        const failure = this.#failure(error, sql);
        if (!this.served || attempt >= INTERRUPTED_ATTEMPTS || !isInterrupted(failure)) throw failure;
        try {
          connection.exec("SELECT 1");
        } catch (cleared) {
          this.#logger.debug("a statement to clear sqld's interruption failed", {
            url: this.url,
            error: this.#failure(cleared, "SELECT 1"),
          });
        }
      }
    }
  }

  #rollback(cause: unknown): void {
    // A served connection that lost the server has no transaction left to roll back: the
    // server drops it with the stream, and the connection is replaced at its next use.
    if (this.#broken) return;
    // SQLite rolls back by itself after some failures (SQLITE_FULL, an I/O error); then there
    // is nothing left to roll back, and trying would hide the real error.
    if (!this.#connection.inTransaction) return;
    try {
      this.#connection.exec("ROLLBACK");
    } catch (error) {
      this.#logger.error("rollback failed after a failed transaction", {
        url: this.url,
        error: this.#failure(error, "ROLLBACK"),
        cause: mapSqliteError(cause),
      });
    }
  }
}

/** The statements as one `BEGIN IMMEDIATE … COMMIT` text, or undefined when one cannot be inlined. */
function servedBatch(statements: readonly Write[]): string | undefined {
  const parts = ["BEGIN IMMEDIATE"];
  for (const statement of statements) {
    const inlined = inlineParameters(statement.sql, parameters(statement.params));
    if (inlined === undefined) return undefined;
    parts.push(inlined);
  }
  parts.push("COMMIT");
  return parts.join(";\n");
}
