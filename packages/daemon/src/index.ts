/**
 * @module @oxios/daemon — running the Oxios kernel as a daemon: the pid file with stale
 * detection, starting/stopping/inspecting the daemon from outside, signal handling and the
 * ordered graceful shutdown inside it, a systemd user unit, and `serve` for HTTP on Node,
 * Bun and Deno.
 */

export {
  DaemonController,
  type DaemonControllerOptions,
  type DaemonStarted,
  type DaemonStartOptions,
  type DaemonStatus,
  type DaemonStopOptions,
  type DaemonStopResult,
  LOG_FILE_RELATIVE,
} from "./daemon-controller.ts";
export { DaemonErrorCode, type DaemonErrorCodeValue } from "./error-codes.ts";
export {
  acquirePidFile,
  inspectPidFile,
  PID_FILE_NAME,
  PidFile,
  type PidFileOptions,
  type PidFileState,
  type PidRecord,
  parsePidRecord,
  pidFilePath,
  removeStalePidFile,
} from "./pid-file.ts";
export { detectRuntime, type ServeOptions, serve } from "./serve.ts";
export type { FetchHandler, ServedHttp, ServeRuntime } from "./serve-types.ts";
export {
  type ShutdownHook,
  type ShutdownHookOptions,
  type ShutdownReport,
  ShutdownSequence,
  type ShutdownSequenceOptions,
  type ShutdownStepReport,
  type ShutdownStepStatus,
} from "./shutdown-sequence.ts";
export {
  installSignalHandlers,
  type ShutdownSignal,
  type SignalHandlerOptions,
  type SignalHandlers,
  type SignalSource,
} from "./signal-handlers.ts";
export { renderSystemdUnit, type SystemdUnitOptions } from "./systemd-unit.ts";
