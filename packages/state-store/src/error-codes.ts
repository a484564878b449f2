/**
 * The stable error codes @oxios/state-store throws (as `KernelError.code`): the state files
 * (`STATE_*`) and the git layer (`GIT_*`). Callers branch on these; messages are for people and
 * may change.
 */

import { defineErrorCodes } from "@oxios/core";

export const StateStoreErrorCode = defineErrorCodes("@oxios/state-store", {
  nameInvalid: {
    code: "STATE_NAME_INVALID",
    kind: "invalid",
    description: "A category or name breaks the naming rules; refused before touching disk.",
  },
  valueInvalid: {
    code: "STATE_VALUE_INVALID",
    kind: "invalid",
    description: "A value has no JSON form, or a Markdown value is not a string.",
  },
  schemaInvalid: {
    code: "STATE_SCHEMA_INVALID",
    kind: "invalid",
    description: "A value fails its schema on save or load; `details.issues` lists why.",
  },
  corrupt: {
    code: "STATE_CORRUPT",
    kind: "internal",
    description: "A `.json` state file does not parse; `details.path` names it and it is not deleted.",
  },
  openFailed: {
    code: "STATE_OPEN_FAILED",
    kind: "internal",
    description: "The state root could not be created or opened.",
  },
  readFailed: {
    code: "STATE_READ_FAILED",
    kind: "internal",
    description: "The file system refused a read, stat or listing; `cause` is the OS error.",
  },
  writeFailed: {
    code: "STATE_WRITE_FAILED",
    kind: "internal",
    description: "The file system refused a write (read-only, full disk…); the temp file is removed.",
  },
  deleteFailed: {
    code: "STATE_DELETE_FAILED",
    kind: "internal",
    description: "The file system refused a delete; `cause` is the OS error.",
  },
  closed: {
    code: "STATE_CLOSED",
    kind: "unavailable",
    description: "The store was closed; nothing was read or written.",
  },
  gitPathInvalid: {
    code: "GIT_PATH_INVALID",
    kind: "invalid",
    description: "A path is not a root-relative `/`-separated path outside `.git`.",
  },
  gitNotFound: {
    code: "GIT_NOT_FOUND",
    kind: "not-found",
    description: "A commit, ref or file is not in the repository.",
  },
  gitAlreadyExists: {
    code: "GIT_ALREADY_EXISTS",
    kind: "conflict",
    description: "A tag or ref of that name exists.",
  },
  gitFailed: {
    code: "GIT_FAILED",
    kind: "internal",
    description: "Any other git failure; `cause` is the isomorphic-git error.",
  },
});
