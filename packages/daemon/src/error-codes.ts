/**
 * The stable error codes @oxios/daemon throws (as `KernelError.code`). Callers branch on
 * these; messages are for people and may change.
 */

import { defineErrorCodes } from "@oxios/core";

export const DaemonErrorCode = defineErrorCodes("@oxios/daemon", {
  alreadyRunning: {
    code: "DAEMON_ALREADY_RUNNING",
    kind: "conflict",
    description: "A live daemon owns the pid file; `details.pid` names it.",
  },
  portInUse: {
    code: "DAEMON_PORT_IN_USE",
    kind: "conflict",
    description: "The HTTP port is taken; `details.port` and `details.hostname` name it.",
  },
  serveFailed: {
    code: "DAEMON_SERVE_FAILED",
    kind: "internal",
    description: "The server could not listen for another reason (permission, bad address…).",
  },
  startFailed: {
    code: "DAEMON_START_FAILED",
    kind: "internal",
    description: "The started process exited before its health URL answered; `details` has the exit code and log tail.",
  },
  startTimedOut: {
    code: "DAEMON_START_TIMEOUT",
    kind: "timeout",
    description: "The health URL did not answer within the start timeout; the process was killed.",
  },
  stopFailed: {
    code: "DAEMON_STOP_FAILED",
    kind: "internal",
    description: "The daemon survived SIGKILL (or could not be signalled).",
  },
  pidFileFailed: {
    code: "DAEMON_PID_FILE_FAILED",
    kind: "internal",
    description: "Reading, writing or removing the pid file failed.",
  },
  shutdownHookInvalid: {
    code: "DAEMON_SHUTDOWN_HOOK_INVALID",
    kind: "invalid",
    description: "A shutdown hook was added after the sequence started, or under a name already used.",
  },
  shutdownStepFailed: {
    code: "DAEMON_SHUTDOWN_STEP_FAILED",
    kind: "internal",
    description: "A shutdown step threw something that was not a KernelError; the report carries it as the cause.",
  },
  unitInvalid: {
    code: "DAEMON_UNIT_INVALID",
    kind: "invalid",
    description: "A systemd unit could not be rendered from the given values.",
  },
  optionsInvalid: {
    code: "DAEMON_OPTIONS_INVALID",
    kind: "invalid",
    description: "An option had the wrong form (negative timeout, empty command…).",
  },
});

export type DaemonErrorCodeValue = (typeof DaemonErrorCode)[keyof typeof DaemonErrorCode];
