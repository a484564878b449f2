/**
 * Opens the store's libsql file: WAL, synchronous=FULL (a committed write survives power
 * loss), foreign keys on, one connection (one writer). Loads sqlite-vec unless keyword-only
 * mode is configured; if it cannot load, opening fails loudly with
 * `MEMORY_VECTOR_UNAVAILABLE` instead of silently degrading to keyword search.
 */

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { KernelError, localDatabasePath } from "@oxios/core";
import Database from "libsql";
import * as sqliteVec from "sqlite-vec";
import { MEMORY_ERROR_CODES } from "./errors.ts";
import { Sql } from "./sql.ts";

export type LibsqlDatabase = InstanceType<typeof Database>;

/** Loads the sqlite-vec extension into a connection; replaceable so tests can make it fail. */
export type VectorExtensionLoader = (db: LibsqlDatabase) => void;

export const loadSqliteVec: VectorExtensionLoader = (db) => {
  sqliteVec.load(db as unknown as Parameters<typeof sqliteVec.load>[0]);
};

/** A file path, or a `file:` URL. Remote libsql URLs are not supported by this store. */
export function databasePath(url: string): string {
  if (typeof url !== "string" || url.length === 0) {
    throw new KernelError(MEMORY_ERROR_CODES.configInvalid, "memory store url must be a file path or file: URL");
  }
  const path = localDatabasePath(url);
  if (path === undefined) {
    throw new KernelError(
      MEMORY_ERROR_CODES.configInvalid,
      `memory store url ${url} is remote; this store opens local files (file: URLs) only`,
    );
  }
  return path;
}

export interface OpenedDatabase {
  sql: Sql;
  vectors: { enabled: true } | { enabled: false; reason: string };
}

export function openDatabase(options: {
  url: string;
  keywordOnly: boolean;
  loadExtension: VectorExtensionLoader;
}): OpenedDatabase {
  const path = databasePath(options.url);
  let db: LibsqlDatabase;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (error) {
    throw new KernelError(MEMORY_ERROR_CODES.storageFailed, `cannot open memory database ${path}`, { cause: error });
  }
  const sql = new Sql(db);
  try {
    sql.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
    );
    if (options.keywordOnly) {
      return { sql, vectors: { enabled: false, reason: "keyword-only mode configured" } };
    }
    try {
      options.loadExtension(db);
    } catch (error) {
      throw new KernelError(
        MEMORY_ERROR_CODES.vectorUnavailable,
        "sqlite-vec could not be loaded; configure keywordOnly to run without vector search",
        { cause: error },
      );
    }
    return { sql, vectors: { enabled: true } };
  } catch (error) {
    sql.close();
    throw error;
  }
}
