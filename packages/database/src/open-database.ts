/**
 * `openDatabase`: the one way a database is opened in Oxios, from a URL. A `file:` URL, a path
 * or `:memory:` opens an embedded connection with the kernel's pragmas; a served database
 * (`http(s)://`, `libsql://`, `ws(s)://`, sqld) is refused for now with one code. The function
 * is async and takes `authToken` already, so the remote path can be added behind the same call.
 */

import { createConsoleLogger, KernelError, type Logger } from "@oxios/core";
import Libsql from "libsql";
import type { Database } from "./database.ts";
import { parseDatabaseUrl } from "./database-url.ts";
import { EmbeddedDatabase } from "./embedded-database.ts";
import { DatabaseErrorCode } from "./error-codes.ts";

export interface OpenDatabaseOptions {
  /** `file:/abs/oxios.db`, `file:relative.db`, a plain path, or `:memory:`. Served URLs are refused for now. */
  url: string;
  /** The token a served database (sqld) asks for; unused by embedded files. */
  authToken?: string;
  /** How long a statement waits for another connection's lock before `DATABASE_BUSY`, in ms. Default 5,000. */
  busyTimeoutMs?: number;
  /**
   * `full` (default): a committed transaction survives power loss. `normal`: it survives a
   * crash of the process; the last transactions before a power loss may roll back.
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
 * (a served URL), `DATABASE_OPEN_FAILED` (missing directory, no permission),
 * `DATABASE_CORRUPT` (the file is not a database), `DATABASE_BUSY` (the file stayed locked
 * for `busyTimeoutMs` while switching to WAL).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const location = parseDatabaseUrl(options.url);
  if (location.kind === "remote") {
    throw new KernelError(
      DatabaseErrorCode.remoteUnsupported,
      `${location.scheme}:// databases (sqld) are not supported yet; they arrive with cluster support. Use a file: URL`,
      { details: { scheme: location.scheme } },
    );
  }
  const logger = (options.logger ?? createConsoleLogger({ level: "warn" })).child({ component: "database" });
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
  const database = new EmbeddedDatabase(connection, { url: options.url, logger });
  try {
    database.exec(pragmas(options));
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}
