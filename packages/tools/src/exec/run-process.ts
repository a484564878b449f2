/**
 * Watches one started process — its own process group, led by `process.pid` (for a sandbox,
 * the sandbox's first process) — and guarantees the group does not outlive the call: on
 * abort, timeout or output overflow the whole group gets SIGTERM (`process.kill(-pid)`), then
 * SIGKILL after a short grace. When the leader exits on its own, anything it left running in
 * the group is terminated the same way (inside a bubblewrap sandbox the pid namespace ends
 * with its leader anyway). stdout and stderr are captured up to a cap each; hitting a cap
 * flags truncation and stops the group, so a flood can neither fill memory nor keep the call
 * alive. Timers run on the injected Clock.
 */

import { abortError, type Clock, type Logger, type Timer } from "@oxios/core";
import type { SandboxProcess } from "../sandbox/sandbox.ts";

export interface RunProcessOptions {
  /** The started process (see `Sandbox`); its group is what gets killed. */
  process: SandboxProcess;
  /** The program, for logs. */
  file: string;
  timeoutMs: number;
  /** Cap for each of stdout and stderr, in bytes. */
  maxOutputBytes: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs: number;
  signal: AbortSignal;
  clock: Clock;
  logger: Logger;
}

export type StopReason = "timeout" | "output-limit" | "aborted";

export interface ProcessResult {
  pid: number;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  timedOut: boolean;
  /** Why the kernel stopped the process, when it did. */
  stoppedBy: StopReason | undefined;
  durationMs: number;
}

class Capture {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  truncated = false;
  constructor(readonly limit: number) {}

  /** Keeps what fits; returns false once the cap is exceeded. */
  add(chunk: Buffer): boolean {
    const room = this.limit - this.bytes;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.bytes = this.limit;
      this.truncated = true;
      return false;
    }
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    return true;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** Sends `signal` to the process group led by `pid`; false when the group is already gone. */
export function killGroup(pid: number, signal: NodeJS.Signals, logger: Logger): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === "ESRCH") {
      logger.debug("process group already gone", { pid, signal });
      return false;
    }
    throw error;
  }
}

/** True while any process of the group led by `pid` exists. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ESRCH") return false;
    // EPERM: the group exists but belongs to someone else — it is alive.
    return code === "EPERM";
  }
}

/**
 * Watches a started process until it has closed: captures its output, enforces the timeout and
 * the output caps, and kills its group on abort.
 *
 * Throws: the process's start failure (`TOOL_EXEC_FAILED`); `ABORTED` after an abort (the group
 * is being killed).
 */
export async function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  const { clock, logger, signal, process: child } = options;
  const started = clock.now();
  const pid = child.pid;
  const stdout = new Capture(options.maxOutputBytes);
  const stderr = new Capture(options.maxOutputBytes);
  let stoppedBy: StopReason | undefined;
  let graceTimer: Timer | undefined;

  const terminateGroup = (): void => {
    if (pid <= 0 || graceTimer !== undefined) return;
    logger.debug("terminating process group", { pid, reason: stoppedBy ?? "leader exited" });
    if (!killGroup(pid, "SIGTERM", logger)) return;
    graceTimer = clock.setTimer(() => {
      if (groupAlive(pid)) {
        logger.warn("process group ignored SIGTERM; sending SIGKILL", { pid, graceMs: options.killGraceMs });
        killGroup(pid, "SIGKILL", logger);
      }
    }, options.killGraceMs);
  };
  const stop = (reason: StopReason): void => {
    stoppedBy ??= reason;
    terminateGroup();
  };
  const onAbort = (): void => stop("aborted");
  const timeoutTimer = clock.setTimer(() => stop("timeout"), options.timeoutMs);
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) onAbort();
  if (pid > 0) logger.debug("exec spawned", { pid, file: options.file });

  child.stdout.on("data", (chunk: Buffer) => {
    if (!stdout.add(chunk)) stop("output-limit");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    if (!stderr.add(chunk)) stop("output-limit");
  });
  child.stdout.resume();
  child.stderr.resume();
  // The leader is gone; anything it left behind in its group goes too.
  const leaderExit = child.exited.then((exit) => {
    if (pid > 0 && groupAlive(pid)) terminateGroup();
    return exit;
  });
  const closed = await child.closed;
  const exit = await leaderExit;
  timeoutTimer.cancel();
  signal.removeEventListener("abort", onAbort);
  // The grace timer must still fire if the group outlives the leader's pipes.
  if (graceTimer !== undefined && (pid <= 0 || !groupAlive(pid))) graceTimer.cancel();
  if (stoppedBy === "aborted") throw abortError(signal);
  const failure = child.startFailure();
  if (failure !== undefined) throw failure;
  return {
    pid,
    exitCode: exit.code ?? closed.code,
    signal: exit.signal ?? closed.signal,
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    timedOut: stoppedBy === "timeout",
    stoppedBy,
    durationMs: clock.now() - started,
  };
}
