/**
 * @module @oxios/memory — persistent agent memory: a libsql + sqlite-vec + FTS5 store with
 * typed, tiered memories, hybrid recall (vector KNN + BM25 fused by reciprocal rank fusion),
 * decay, a lossless group-commit write queue and background dream consolidation.
 */
export {
  DREAM_CHECKPOINT_STALE_MS,
  DREAM_PHASES,
  DREAM_PRESETS,
  type DreamPhase,
  type DreamPreset,
  type DreamReport,
} from "./dream.ts";
export type { DreamSchedule, DreamScheduleOptions } from "./dream-scheduler.ts";
export type { Embedder } from "./embedder.ts";
export { MemoryErrorCode } from "./error-codes.ts";
export type { MemoryFilter } from "./filters.ts";
export { HashingEmbedder } from "./hashing-embedder.ts";
export {
  DEFAULT_TIER_CAPS,
  type DecayInput,
  decayScore,
  isPrunable,
  MEMORY_TIERS,
  MEMORY_TYPE_NAMES,
  MEMORY_TYPES,
  type MemoryTier,
  type MemoryType,
  PROTECTION_LEVELS,
  PROTECTION_NAMES,
  PRUNE_THRESHOLD,
  type ProtectionLevel,
  type PrunableInput,
  type TierCaps,
} from "./lifecycle.ts";
export {
  MAX_CONTENT_LENGTH,
  MAX_QUERY_LENGTH,
  MAX_SUMMARY_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS,
} from "./limits.ts";
export type { MemoryEntry, MemoryPatch, RememberInput } from "./memory-entry.ts";
export {
  type ImportResult,
  type ListOptions,
  type MemoryHealth,
  type MemoryStats,
  MemoryStore,
  type MemoryStoreOptions,
  type MemoryStoreSettings,
  type RecallContext,
  type SearchHit,
  type SearchMode,
  type SearchOptions,
} from "./memory-store.ts";
export { UniversalSentenceEncoderEmbedder } from "./universal-sentence-encoder.ts";
export { loadSqliteVec, type VectorExtensionLoader } from "./vector-extension.ts";
