/**
 * @module @oxios/state-store — atomic, coalesced JSON and Markdown state files
 * (`StateStore`) and a git layer over them (`GitLayer`, isomorphic-git). Node only.
 */

export type { AutoCommitOptions, AutoCommitReport } from "./auto-commit.ts";
export { StateStoreErrorCode } from "./error-codes.ts";
export {
  type ChangeKind,
  type CommitInfo,
  type CommitResult,
  type DiffEntry,
  type GitAuthor,
  GitLayer,
  type GitLayerOptions,
  STATE_GITIGNORE_LINES,
  type VerifyResult,
} from "./git-layer.ts";
export { MAX_NAME_BYTES, MAX_SEGMENT_BYTES } from "./names.ts";
export type { StandardSchemaV1 } from "./standard-schema.ts";
export {
  type LoadOptions,
  type PruneResult,
  type SaveOptions,
  type SessionPruneOptions,
  type StateChangeSink,
  type StateEntry,
  type StateFormat,
  StateStore,
  type StateStoreOptions,
} from "./state-store.ts";
