/**
 * Loads sqlite-vec into the store's connection unless keyword-only mode is configured; if it
 * cannot load, opening fails loudly with `MEMORY_VECTOR_UNAVAILABLE` instead of silently
 * degrading to keyword search.
 */

import { KernelError } from "@oxios/core";
import type { Database } from "@oxios/database";
import * as sqliteVec from "sqlite-vec";
import { MemoryErrorCode } from "./error-codes.ts";

/** Loads the sqlite-vec extension into a connection; replaceable so tests can make it fail. */
export type VectorExtensionLoader = (database: Database) => void;

export const loadSqliteVec: VectorExtensionLoader = (database) => {
  sqliteVec.load(database);
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
      "sqlite-vec could not be loaded; configure keywordOnly to run without vector search",
      { cause: error },
    );
  }
  return { enabled: true };
}
