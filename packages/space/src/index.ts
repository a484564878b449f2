/**
 * @module @oxios/space — spaces (focused contexts that scope memory and conversation),
 * detection of a message's space, and per-session conversation buffers, over a storage
 * port. Portable: web-standard APIs only. The libsql store is on `@oxios/space/libsql`.
 */

export {
  type ConversationBufferOptions,
  ConversationBuffers,
  DEFAULT_MAX_TURNS,
  estimateTurnTokens,
  type TurnInput,
  turnsToKeep,
} from "./conversation-buffers.ts";
export {
  type Detection,
  type DetectionReason,
  type DetectOptions,
  detectSpace,
  extractPaths,
  namedProject,
  type SpaceCandidate,
  spaceCandidate,
} from "./detect.ts";
export { SpaceErrorCode } from "./error-codes.ts";
export { InMemorySpaceStore } from "./in-memory-space-store.ts";
export { isPathWithin, normalizePath, normalizeSpacePath, type PathContext } from "./paths.ts";
export {
  type CreateSpaceInput,
  DEFAULT_SPACE_EMOJI,
  DEFAULT_SPACE_ID,
  DEFAULT_SPACE_NAME,
  NEW_SPACE_EMOJI,
  SPACE_LIMITS,
  type Space,
  type SpaceSource,
  spaceNameKey,
  spaceTag,
  type UpdateSpaceInput,
} from "./space.ts";
export {
  type DetectOrCreateOptions,
  type ResolutionReason,
  SpaceManager,
  type SpaceManagerOptions,
  type SpaceResolution,
} from "./space-manager.ts";
export type { ConversationTurn, SessionSummary, SpaceStore, TurnRole } from "./space-store.ts";
