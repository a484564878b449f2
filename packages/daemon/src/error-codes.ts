/**
 * The stable error codes @oxios/daemon throws (as `KernelError.code`). Callers branch on
 * these; messages are for people and may change.
 */
export const DaemonErrorCode = {
  /** A live daemon owns the pid file; `details.pid` names it. */
  alreadyRunning: "DAEMON_ALREADY_RUNNING",
  /** The HTTP port is taken; `details.port` and `details.hostname` name it. */
  portInUse: "DAEMON_PORT_IN_USE",
  /** The server could not listen for another reason (permission, bad address…). */
  serveFailed: "DAEMON_SERVE_FAILED",
  /** The started process exited before its health URL answered; `details` has the exit code and log tail. */
  startFailed: "DAEMON_START_FAILED",
  /** The health URL did not answer within the start timeout; the process was killed. */
  startTimedOut: "DAEMON_START_TIMEOUT",
  /** The daemon survived SIGKILL (or could not be signalled). */
  stopFailed: "DAEMON_STOP_FAILED",
  /** Reading, writing or removing the pid file failed. */
  pidFileFailed: "DAEMON_PID_FILE_ERROR",
  /** A shutdown hook was added after the sequence started, or under a name already used. */
  shutdownHookInvalid: "DAEMON_SHUTDOWN_HOOK_INVALID",
  /** A systemd unit could not be rendered from the given values. */
  unitInvalid: "DAEMON_UNIT_INVALID",
  /** An option had the wrong form (negative timeout, empty command…). */
  optionsInvalid: "DAEMON_OPTIONS_INVALID",
} as const;

export type DaemonErrorCodeValue = (typeof DaemonErrorCode)[keyof typeof DaemonErrorCode];
