/**
 * Loads sqlite-vec into the store's connection unless keyword-only mode is configured; if it
 * cannot load, opening fails loudly with `MEMORY_VECTOR_UNAVAILABLE` instead of silently
 * degrading to keyword search. A served database (sqld) loads its extensions itself
 * (`--extensions-path`): there the loader checks that sqlite-vec is present.
 */

import { KernelError } from "@oxios/core";
import type { Database } from "@oxios/database";
import * as sqliteVec from "sqlite-vec";
import { MemoryErrorCode } from "./error-codes.ts";

/** Loads the sqlite-vec extension into a connection; replaceable so tests can make it fail. */
export type VectorExtensionLoader = (database: Database) => void;

/** sqlite-vec into an embedded connection; on a served one, a check that the server has it. */
export const loadSqliteVec: VectorExtensionLoader = (database) => {
  if (database.served) database.get("SELECT vec_version() AS version");
  else sqliteVec.load(database);
};

export type VectorSupport = { enabled: true } | { enabled: false; reason: string };

/**
 * Throws: `MEMORY_VECTOR_UNAVAILABLE` when the loader fails.
 */
export function loadVectorSupport(
  database: Database,
  options: { keywordOnly: boolean; loadExtension: VectorExtensionLoader },
): VectorSupport {
  if (options.keywordOnly) return { enabled: false, reason: "keyword-only mode configured" };
  try {
    options.loadExtension(database);
  } catch (error) {
    throw new KernelError(
      MemoryErrorCode.vectorUnavailable,
      database.served
        ? "the served database has no sqlite-vec (start sqld with --extensions-path naming a directory with vec0.so and its trusted.lst); configure keywordOnly to run without vector search"
        : "sqlite-vec could not be loaded; configure keywordOnly to run without vector search",
      { cause: error },
    );
  }
  return { enabled: true };
}
