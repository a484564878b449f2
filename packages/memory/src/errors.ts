/** The stable error codes @oxios/memory throws (always as a `KernelError`). */
export const MEMORY_ERROR_CODES = {
  /** Content empty, whitespace only, or longer than `MAX_CONTENT_LENGTH`. */
  contentInvalid: "MEMORY_CONTENT_INVALID",
  /** A memory type that is not one of `MEMORY_TYPE_NAMES`. */
  typeInvalid: "MEMORY_TYPE_INVALID",
  /** A bad search/list filter, tier, protection level, tag, importance or option. */
  filterInvalid: "MEMORY_FILTER_INVALID",
  /** sqlite-vec could not load and keyword-only mode was not configured, or a vector search in keyword-only mode. */
  vectorUnavailable: "MEMORY_VECTOR_UNAVAILABLE",
  /** The embedder did not produce vectors in time (still loading, or hung). */
  embedderTimeout: "MEMORY_EMBEDDER_TIMEOUT",
  /** The embedder failed or returned vectors of the wrong shape. */
  embeddingFailed: "MEMORY_EMBEDDING_FAILED",
  /** No memory with that id. */
  notFound: "MEMORY_NOT_FOUND",
  /** The store is closing or closed. */
  closed: "MEMORY_CLOSED",
  /**
   * A write did not take effect as it should (a memory removed before its write returned, a
   * dream that could not apply its plan). The database's own failures keep their `DATABASE_*`
   * codes (`DATABASE_BUSY`, `DATABASE_FULL`, …).
   */
  storageFailed: "MEMORY_STORAGE_FAILED",
  /** Bad store options (a bad cap, write-queue size or dream setting). */
  configInvalid: "MEMORY_CONFIG_INVALID",
  /** A dream run is already in progress on this store. */
  dreamBusy: "MEMORY_DREAM_BUSY",
} as const;

/** Longest content accepted by `remember` and `update`, in characters. */
export const MAX_CONTENT_LENGTH = 32_768;
/** Longest summary, in characters. */
export const MAX_SUMMARY_LENGTH = 4_096;
/** At most this many tags per memory, each 1–64 characters. */
export const MAX_TAGS = 32;
export const MAX_TAG_LENGTH = 64;
/** Longest search query, in characters. */
export const MAX_QUERY_LENGTH = 4_096;
