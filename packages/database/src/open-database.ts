/**
 * `openDatabase`: the one way a database is opened in Oxios, from a URL. A `file:` URL, a path
 * or `:memory:` opens an embedded connection with the kernel's pragmas; an `http(s)://` or
 * `libsql://` URL (sqld) opens a served one with the same `Database` contract, through the same
 * synchronous `libsql` driver, so every store works unchanged on either.
 */

import { createConsoleLogger, KernelError, type Logger } from "@oxios/core";
import Libsql from "libsql";
import type { Database } from "./database.ts";
import { parseDatabaseUrl } from "./database-url.ts";
import { DatabaseErrorCode } from "./error-codes.ts";
import { LibsqlDatabase } from "./libsql-database.ts";
import { mapSqliteError } from "./sqlite-errors.ts";

export interface OpenDatabaseOptions {
  /** `file:/abs/oxios.db`, `file:relative.db`, a plain path, `:memory:`, or a served `http(s)://` / `libsql://` URL. */
  url: string;
  /** The token a served database (sqld) asks for (a JWT); unused by embedded files. */
  authToken?: string;
  /**
   * How long a statement waits for another connection's lock before `DATABASE_BUSY`, in ms.
   * Default 5,000. Embedded only: a served database's locks are the server's.
   */
  busyTimeoutMs?: number;
  /**
   * `full` (default): a committed transaction survives power loss. `normal`: it survives a
   * crash of the process; the last transactions before a power loss may roll back. Embedded
   * only: a served database's durability is the server's.
   */
  synchronous?: "full" | "normal";
  /** Receives what cannot be thrown (a failed rollback). Default: console, `warn` and up. */
  logger?: Logger;
}

/** The kernel's pragmas, one set for every store; a store may add its own after opening. */
function pragmas(options: OpenDatabaseOptions): string {
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5_000));
  return [
    // First, so that switching the file to WAL also waits for other connections.
    `PRAGMA busy_timeout = ${busyTimeoutMs}`,
    "PRAGMA journal_mode = WAL",
    `PRAGMA synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`,
    "PRAGMA foreign_keys = ON",
  ].join("; ");
}

/**
 * Opens the database a URL names.
 *
 * Throws: `DATABASE_URL_INVALID` (empty URL, unknown scheme), `DATABASE_REMOTE_UNSUPPORTED`
 * (a `ws(s)://` URL), `DATABASE_OPEN_FAILED` (missing directory, no permission, a server that
 * refuses the token), `DATABASE_CORRUPT` (the file is not a database), `DATABASE_BUSY` (the
 * file stayed locked for `busyTimeoutMs` while switching to WAL), `DATABASE_UNAVAILABLE` (the
 * server cannot be reached).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const location = parseDatabaseUrl(options.url);
  const logger = (options.logger ?? createConsoleLogger({ level: "warn" })).child({ component: "database" });
  if (location.kind === "remote") return openServed(location.scheme, options, logger);
  let connection: InstanceType<typeof Libsql>;
  try {
    connection = new Libsql(location.path);
  } catch (error) {
    throw new KernelError(
      DatabaseErrorCode.openFailed,
      `cannot open the database at ${location.path}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { path: location.path } },
    );
  }
  const database = new LibsqlDatabase(connection, { url: options.url, logger });
  try {
    database.exec(pragmas(options));
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}

/**
 * A served database (sqld): the driver speaks Hrana over HTTP (`libsql://` means HTTPS) and
 * connects on the first statement, so one `SELECT 1` here turns an unreachable server or a
 * refused token into an error at open rather than at the first store statement.
 */
function openServed(scheme: string, options: OpenDatabaseOptions, logger: Logger): Database {
  if (scheme === "ws" || scheme === "wss") {
    throw new KernelError(
      DatabaseErrorCode.remoteUnsupported,
      `${scheme}:// is not supported; use http(s):// or libsql:// for the same sqld`,
      { details: { scheme } },
    );
  }
  // The driver reads `authToken` (index.js), though its typings do not list it.
  const driverOptions = { authToken: options.authToken ?? "" } as ConstructorParameters<typeof Libsql>[1];
  const connect = (): InstanceType<typeof Libsql> => {
    try {
      return new Libsql(options.url, driverOptions);
    } catch (error) {
      throw mapSqliteError(error);
    }
  };
  const database = new LibsqlDatabase(connect(), { url: options.url, logger, reconnect: connect });
  try {
    database.get("SELECT 1");
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}
