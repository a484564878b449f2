/**
 * The stable error codes @oxios/supervisor throws (as `KernelError.code`): agents (`AGENT_*`)
 * and supervision trees (`SUPERVISOR_*`). Callers branch on these; messages are for people and
 * may change.
 */

import { defineErrorCodes } from "@oxios/core";

export const SupervisorErrorCode = defineErrorCodes("@oxios/supervisor", {
  agentSpecInvalid: {
    code: "AGENT_SPEC_INVALID",
    kind: "invalid",
    description: "An agent spec or supervisor option is malformed (no name, no run function, a bad timeout…).",
  },
  agentNotFound: {
    code: "AGENT_NOT_FOUND",
    kind: "not-found",
    description: "No agent with that id; `details.agentId` names it.",
  },
  agentNotRunnable: {
    code: "AGENT_NOT_RUNNABLE",
    kind: "conflict",
    description: "The agent is stopped or failed and cannot run again.",
  },
  agentBusy: {
    code: "AGENT_BUSY",
    kind: "conflict",
    description: "The agent already has a run (run), or is running (remove).",
  },
  agentKilled: {
    code: "AGENT_KILLED",
    kind: "aborted",
    description: "The agent was killed while its run was queued or running; `details.reason` says why.",
  },
  agentFailed: {
    code: "AGENT_FAILED",
    kind: "internal",
    description: "An agent's run threw something that was not a KernelError.",
  },
  agentTransitionInvalid: {
    code: "AGENT_TRANSITION_INVALID",
    kind: "internal",
    description: "An agent was moved between two statuses the lifecycle does not allow.",
  },
  agentStateUnsupported: {
    code: "AGENT_STATE_UNSUPPORTED",
    kind: "invalid",
    description: "exportState or importState on an agent that declares no serialisable state.",
  },
  agentStateExportFailed: {
    code: "AGENT_STATE_EXPORT_FAILED",
    kind: "internal",
    description: "The agent's `state.export()` threw or returned undefined.",
  },
  agentStateImportFailed: {
    code: "AGENT_STATE_IMPORT_FAILED",
    kind: "internal",
    description: "The agent's `state.import()` threw.",
  },
  shuttingDown: {
    code: "SUPERVISOR_SHUTTING_DOWN",
    kind: "unavailable",
    description: "The supervisor is shutting down and takes no new agents or runs.",
  },
  intensityInvalid: {
    code: "SUPERVISOR_INTENSITY_INVALID",
    kind: "invalid",
    description: "A tree's restart intensity has a non-positive `maxRestarts` or `periodMs`.",
  },
  childInvalid: {
    code: "SUPERVISOR_CHILD_INVALID",
    kind: "invalid",
    description: "A tree's child spec has no id, a duplicated id or no start function.",
  },
  treeAlreadyStarted: {
    code: "SUPERVISOR_TREE_ALREADY_STARTED",
    kind: "conflict",
    description: "`start()` on a supervision tree that was already started.",
  },
  childCrashed: {
    code: "SUPERVISOR_CHILD_CRASHED",
    kind: "internal",
    description: "A tree's child ended with something that was not a KernelError.",
  },
  intensityExceeded: {
    code: "SUPERVISOR_INTENSITY_EXCEEDED",
    kind: "internal",
    description: "A tree's children restarted more often than its intensity allows; the tree stopped.",
  },
});
