/** The input limits of @oxios/memory: longer content, summaries, tags or queries are refused. */

/** Longest content accepted by `remember` and `update`, in characters. */
export const MAX_CONTENT_LENGTH = 32_768;
/** Longest summary, in characters. */
export const MAX_SUMMARY_LENGTH = 4_096;
/** At most this many tags per memory, each 1–64 characters. */
export const MAX_TAGS = 32;
export const MAX_TAG_LENGTH = 64;
/** Longest search query, in characters. */
export const MAX_QUERY_LENGTH = 4_096;
