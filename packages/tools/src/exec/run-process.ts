/**
 * Runs one child process in its own process group (`detached: true`) and guarantees it does
 * not outlive the call: on abort, timeout or output overflow the whole group gets SIGTERM
 * (`process.kill(-pid)`), then SIGKILL after a short grace. When the leader exits on its own,
 * anything it left running in the group is terminated the same way. stdout and stderr are
 * captured up to a cap each; hitting a cap flags truncation and stops the group, so a flood
 * can neither fill memory nor keep the call alive. Timers run on the injected Clock.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { abortError, type Clock, KernelError, type Logger, type Timer } from "@oxios/core";
import { ToolErrorCode } from "../error-codes.ts";

export interface RunProcessOptions {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
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

export function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  const { clock, logger, signal } = options;
  if (signal.aborted) return Promise.reject(abortError(signal));
  const started = clock.now();
  return new Promise<ProcessResult>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(options.file, [...options.args], {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        shell: false,
        stdio: ["ignore", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (error) {
      reject(new KernelError(ToolErrorCode.execFailed, `could not start ${options.file}`, { cause: error }));
      return;
    }
    const stdout = new Capture(options.maxOutputBytes);
    const stderr = new Capture(options.maxOutputBytes);
    let stoppedBy: StopReason | undefined;
    let graceTimer: Timer | undefined;
    let exit: { code: number | null; signal: string | null } | undefined;
    let spawnError: unknown;

    const stop = (reason: StopReason): void => {
      stoppedBy ??= reason;
      terminateGroup();
    };
    const terminateGroup = (): void => {
      const pid = child.pid;
      if (pid === undefined || graceTimer !== undefined) return;
      logger.debug("terminating process group", { pid, reason: stoppedBy ?? "leader exited" });
      if (!killGroup(pid, "SIGTERM", logger)) return;
      graceTimer = clock.setTimer(() => {
        if (groupAlive(pid)) {
          logger.warn("process group ignored SIGTERM; sending SIGKILL", { pid, graceMs: options.killGraceMs });
          killGroup(pid, "SIGKILL", logger);
        }
      }, options.killGraceMs);
    };
    const onAbort = (): void => stop("aborted");
    const timeoutTimer = clock.setTimer(() => stop("timeout"), options.timeoutMs);
    signal.addEventListener("abort", onAbort, { once: true });

    child.stdout?.on("data", (chunk: Buffer) => {
      if (!stdout.add(chunk)) stop("output-limit");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (!stderr.add(chunk)) stop("output-limit");
    });
    child.on("spawn", () => logger.debug("exec spawned", { pid: child.pid, file: options.file }));
    child.on("error", (error) => {
      spawnError = error;
      if (child.pid !== undefined) {
        logger.warn("child process error after spawn", { pid: child.pid, error });
        return;
      }
      timeoutTimer.cancel();
      signal.removeEventListener("abort", onAbort);
      reject(spawnFailure(options.file, error));
    });
    child.on("exit", (code, exitSignal) => {
      exit = { code, signal: exitSignal };
      // The leader is gone; anything it left behind in its group goes too.
      if (child.pid !== undefined && groupAlive(child.pid)) terminateGroup();
    });
    child.on("close", (code: number | null, closeSignal: NodeJS.Signals | null) => {
      timeoutTimer.cancel();
      signal.removeEventListener("abort", onAbort);
      const pid = child.pid;
      // The grace timer must still fire if the group outlives the leader's pipes.
      if (graceTimer !== undefined && (pid === undefined || !groupAlive(pid))) graceTimer.cancel();
      if (spawnError !== undefined && pid === undefined) {
        reject(spawnFailure(options.file, spawnError));
        return;
      }
      if (stoppedBy === "aborted") {
        reject(abortError(signal));
        return;
      }
      resolve({
        pid: pid ?? -1,
        exitCode: exit?.code ?? code,
        signal: exit?.signal ?? closeSignal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        timedOut: stoppedBy === "timeout",
        stoppedBy,
        durationMs: clock.now() - started,
      });
    });
  });
}

function spawnFailure(file: string, error: unknown): KernelError {
  const errno = (error as { code?: unknown }).code;
  const message =
    errno === "ENOENT" ? `${file} was not found on PATH` : `could not start ${file}: ${(error as Error).message}`;
  return new KernelError(ToolErrorCode.execFailed, message, { cause: error, details: { file } });
}
