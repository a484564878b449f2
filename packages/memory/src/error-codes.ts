/**
 * The stable error codes @oxios/memory throws (always as a `KernelError`). Callers branch on
 * these; messages are for people and may change. The database's own failures keep their
 * `DATABASE_*` codes (`DATABASE_BUSY`, `DATABASE_FULL`, …).
 */

import { defineErrorCodes } from "@oxios/core";

export const MemoryErrorCode = defineErrorCodes("@oxios/memory", {
  contentInvalid: {
    code: "MEMORY_CONTENT_INVALID",
    kind: "invalid",
    description: "Content empty, whitespace only, or longer than `MAX_CONTENT_LENGTH` (or a summary over its limit).",
  },
  typeInvalid: {
    code: "MEMORY_TYPE_INVALID",
    kind: "invalid",
    description: "A memory type that is not one of `MEMORY_TYPE_NAMES`.",
  },
  filterInvalid: {
    code: "MEMORY_FILTER_INVALID",
    kind: "invalid",
    description: "A bad search or list filter, tier, protection level, tag, importance, limit or query.",
  },
  vectorUnavailable: {
    code: "MEMORY_VECTOR_UNAVAILABLE",
    kind: "unavailable",
    description:
      "sqlite-vec could not load and keyword-only mode was not configured, or a vector search in keyword-only mode.",
  },
  embedderTimeout: {
    code: "MEMORY_EMBEDDER_TIMEOUT",
    kind: "timeout",
    description: "The embedder did not produce vectors in time (still loading, or hung).",
  },
  embeddingFailed: {
    code: "MEMORY_EMBEDDING_FAILED",
    kind: "internal",
    description: "The embedder failed or returned vectors of the wrong shape.",
  },
  notFound: {
    code: "MEMORY_NOT_FOUND",
    kind: "not-found",
    description: "No memory with that id.",
  },
  closed: {
    code: "MEMORY_CLOSED",
    kind: "unavailable",
    description: "The store is closing or closed.",
  },
  storageFailed: {
    code: "MEMORY_STORAGE_FAILED",
    kind: "internal",
    description:
      "A write did not take effect as it should (a memory removed before its write returned, a dream that could not apply its plan).",
  },
  configInvalid: {
    code: "MEMORY_CONFIG_INVALID",
    kind: "invalid",
    description: "Bad store options (a bad cap, write-queue size or dream setting).",
  },
  dreamBusy: {
    code: "MEMORY_DREAM_BUSY",
    kind: "conflict",
    description: "A dream run is already in progress, or dreams are already scheduled, on this store.",
  },
});
