/**
 * DaemonController: starts, stops and inspects the daemon from outside it (what `oxios
 * start|stop|restart|status` do).
 *
 * - `start` spawns the daemon detached (its own process group, so it outlives the CLI),
 *   appends its stdout and stderr to `<home>/logs/oxios.log` (opened with O_APPEND, never
 *   truncated — upstream truncated its own log on every start; created 0600 in a 0700
 *   `logs/`, and a missing home is created 0700), and returns once the health
 *   URL answers and the pid file names the new process. If the process exits first, the
 *   error carries its exit code and the last lines it logged.
 * - `stop` sends SIGTERM (the daemon's ordered shutdown), waits up to a timeout for the
 *   process to go, then SIGKILLs it (its whole process group when it leads one) and says
 *   which happened.
 * - `status` reads the pid file: running (pid, uptime, URL), stale, or stopped.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Clock, KernelError, type Logger, systemClock, timeoutSignal } from "@oxios/core";
import { DaemonErrorCode } from "./error-codes.ts";
import { inspectPidFile, type PidRecord, removePidFileOwnedBy, removeStalePidFile } from "./pid-file.ts";
import { probeProcess, signalProcess } from "./process-probe.ts";

export const LOG_FILE_RELATIVE = join("logs", "oxios.log");
const LOG_TAIL_LINES = 20;
const LOG_TAIL_BYTES = 16 * 1024;

export interface DaemonControllerOptions {
  /** The Oxios home holding `oxios.pid` and `logs/`. */
  readonly home: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface DaemonStartOptions {
  readonly command: string;
  readonly args?: readonly string[];
  /** Added to this process's environment (an undefined value removes a variable); OXIOS_HOME is set to the home. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Polled until it answers 2xx. */
  readonly healthUrl: string;
  /** Default 15 s. */
  readonly timeoutMs?: number;
}

export interface DaemonStarted {
  readonly pid: number;
  /** The URL the daemon reported in its pid file, else the health URL's origin. */
  readonly url: string;
  readonly logPath: string;
}

export type DaemonStatus =
  | { readonly state: "running"; readonly pid: number; readonly uptimeMs: number; readonly url?: string }
  | { readonly state: "stale"; readonly pid?: number; readonly reason: string }
  | { readonly state: "stopped" };

export interface DaemonStopOptions {
  /** How long to wait for a graceful exit after SIGTERM; default 10 s. */
  readonly timeoutMs?: number;
  /** How long to wait for the process to vanish after SIGKILL; default 5 s. */
  readonly killTimeoutMs?: number;
}

export interface DaemonStopResult {
  /** graceful: exited after SIGTERM; killed: needed SIGKILL; stale-removed: only a stale pid file was there. */
  readonly outcome: "graceful" | "killed" | "not-running" | "stale-removed";
  readonly pid?: number;
  readonly durationMs: number;
  /** Known only when this controller started the process. */
  readonly exitCode?: number | null;
  readonly exitSignal?: string | null;
}

interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new KernelError(DaemonErrorCode.optionsInvalid, `${name} must be a positive number of milliseconds`, {
      details: { [name]: value },
    });
  }
  return value;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Starts, stops and inspects the daemon: see the module comment. Each public method's comment
 * says how it fails ("Throws:"). Abort: no method takes a signal; every wait is bounded by a
 * timeout instead (`timeoutMs`, `killTimeoutMs`).
 */
export class DaemonController {
  readonly home: string;
  readonly logPath: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  /** Exit of processes this controller spawned, by pid, so `stop` can report their exit code. */
  readonly #exits = new Map<number, Promise<ExitInfo>>();
  /** The processes this controller started, unref'd so the CLI can exit while they run. */
  readonly #children = new Map<number, ChildProcess>();

  constructor(options: DaemonControllerOptions) {
    this.home = options.home;
    this.logPath = join(options.home, LOG_FILE_RELATIVE);
    this.#logger = options.logger.child({ component: "daemon-controller" });
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Whether a daemon runs on this home, from the pid file.
   *
   * Throws: `DAEMON_PID_FILE_FAILED` when the pid file or /proc cannot be read;
   * `DAEMON_STOP_FAILED` only when probing the recorded pid fails other than ESRCH or EPERM.
   */
  async status(): Promise<DaemonStatus> {
    const seen = await inspectPidFile(this.home);
    if (seen.state === "absent") return { state: "stopped" };
    if (seen.state === "stale") {
      return seen.record === undefined
        ? { state: "stale", reason: seen.reason }
        : { state: "stale", pid: seen.record.pid, reason: seen.reason };
    }
    const { pid, startedAt, url } = seen.record;
    const uptimeMs = Math.max(0, this.#clock.now() - startedAt);
    return url === undefined ? { state: "running", pid, uptimeMs } : { state: "running", pid, uptimeMs, url };
  }

  /**
   * Spawns the daemon detached and returns once its health URL answers 2xx and the pid file
   * names it.
   *
   * Throws: `DAEMON_OPTIONS_INVALID` (non-positive `timeoutMs`, empty command, bad `healthUrl`),
   * `DAEMON_ALREADY_RUNNING`, `DAEMON_PID_FILE_FAILED` (pid file unreadable or not removable),
   * `DAEMON_START_FAILED` (`logs/` or the log cannot be created, inspected or opened, with the
   * platform's error as `cause`; spawn failed, or the process exited first; `details.logTail`),
   * `DAEMON_START_TIMEOUT` (not healthy in time; the process was killed), `DAEMON_STOP_FAILED`
   * if that kill is refused.
   */
  async start(options: DaemonStartOptions): Promise<DaemonStarted> {
    const timeoutMs = positive(options.timeoutMs ?? 15_000, "timeoutMs");
    if (options.command.trim() === "") {
      throw new KernelError(DaemonErrorCode.optionsInvalid, "command must not be empty");
    }
    let healthUrl: URL;
    try {
      healthUrl = new URL(options.healthUrl);
    } catch (error) {
      throw new KernelError(DaemonErrorCode.optionsInvalid, `healthUrl is not a URL: ${options.healthUrl}`, {
        cause: error,
      });
    }
    const seen = await inspectPidFile(this.home);
    if (seen.state === "running") {
      throw new KernelError(
        DaemonErrorCode.alreadyRunning,
        `an oxios daemon is already running with pid ${seen.record.pid}`,
        { details: { pid: seen.record.pid, url: seen.record.url } },
      );
    }
    if (seen.state === "stale" && (await removeStalePidFile(this.home, seen, { logger: this.#logger }))) {
      this.#logger.info("removed a stale pid file before starting", { pid: seen.record?.pid, reason: seen.reason });
    }

    const logOffset = await this.#openLogForRun(options);
    const child = await this.#spawn(options, logOffset);
    const pid = child.pid as number;
    const exit = this.#exits.get(pid) as Promise<ExitInfo>;
    let exited: ExitInfo | undefined;
    void exit.then((info) => {
      exited = info;
    });

    const deadline = this.#clock.now() + timeoutMs;
    let delay = 25;
    for (;;) {
      if (exited !== undefined) throw await this.#startFailed(pid, exited, logOffset);
      const record = await this.#healthyRecord(healthUrl, pid);
      if (record !== undefined) {
        this.#logger.info("daemon started", { pid, url: record.url ?? healthUrl.origin });
        return { pid, url: record.url ?? healthUrl.origin, logPath: this.logPath };
      }
      const left = deadline - this.#clock.now();
      if (left <= 0) break;
      await this.#sleepUnless(Math.min(delay, left), exit);
      delay = Math.min(delay * 2, 500);
    }
    if (exited !== undefined) throw await this.#startFailed(pid, exited, logOffset);
    this.#logger.error("daemon did not become healthy in time; killing it", { pid, timeoutMs });
    this.#signalGroup(pid, "SIGKILL", pid);
    await this.#sleepUnless(5_000, exit);
    const tail = await this.#logTail(logOffset);
    throw new KernelError(
      DaemonErrorCode.startTimedOut,
      `the daemon (pid ${pid}) did not answer ${healthUrl.href} within ${timeoutMs} ms and was killed`,
      { details: { pid, timeoutMs, logTail: tail, logPath: this.logPath } },
    );
  }

  /**
   * Stops the daemon: SIGTERM, then SIGKILL after `timeoutMs`; a stale pid file is removed.
   *
   * Throws: `DAEMON_OPTIONS_INVALID` for a non-positive timeout, `DAEMON_PID_FILE_FAILED` when
   * the pid file (or /proc) cannot be read or the file removed, `DAEMON_STOP_FAILED` when the process cannot be
   * signalled or survives SIGKILL for `killTimeoutMs`.
   */
  async stop(options: DaemonStopOptions = {}): Promise<DaemonStopResult> {
    const timeoutMs = positive(options.timeoutMs ?? 10_000, "timeoutMs");
    const killTimeoutMs = positive(options.killTimeoutMs ?? 5_000, "killTimeoutMs");
    const started = this.#clock.now();
    const seen = await inspectPidFile(this.home);
    if (seen.state === "absent") return { outcome: "not-running", durationMs: 0 };
    if (seen.state === "stale") {
      await removeStalePidFile(this.home, seen, { logger: this.#logger });
      return {
        outcome: "stale-removed",
        ...(seen.record === undefined ? {} : { pid: seen.record.pid }),
        durationMs: this.#clock.now() - started,
      };
    }
    const { record } = seen;
    const { pid } = record;
    const exit = this.#exits.get(pid);
    // Waiting for its exit below must keep this process alive until the exit is reported: an
    // unref'd child alone would let the event loop end with `stop` still pending.
    this.#children.get(pid)?.ref();
    this.#logger.info("sending SIGTERM", { pid });
    signalProcess(pid, "SIGTERM");
    let outcome: "graceful" | "killed" = "graceful";
    if (!(await this.#waitGone(record, timeoutMs, exit))) {
      outcome = "killed";
      this.#logger.warn("daemon did not exit in time; sending SIGKILL", { pid, timeoutMs });
      const probe = await probeProcess(pid);
      this.#signalGroup(pid, "SIGKILL", probe.processGroup);
      if (!(await this.#waitGone(record, killTimeoutMs, exit))) {
        throw new KernelError(DaemonErrorCode.stopFailed, `process ${pid} is still alive after SIGKILL`, {
          details: { pid },
        });
      }
    }
    if (await removePidFileOwnedBy(this.home, record.token)) {
      this.#logger.warn("the daemon left its pid file behind; removed it", { pid, outcome });
    }
    const info = exit === undefined ? undefined : await exit;
    this.#exits.delete(pid);
    this.#children.delete(pid);
    const durationMs = this.#clock.now() - started;
    this.#logger.info("daemon stopped", { pid, outcome, durationMs, exitCode: info?.code });
    return info === undefined
      ? { outcome, pid, durationMs }
      : { outcome, pid, durationMs, exitCode: info.code, exitSignal: info.signal };
  }

  /**
   * Stops the daemon if it runs (or clears a stale pid file), then starts it.
   *
   * Throws: `stop`'s codes (nothing is started), then `start`'s (the daemon stays stopped).
   */
  async restart(
    options: DaemonStartOptions & { readonly stop?: DaemonStopOptions },
  ): Promise<{ stopped: DaemonStopResult; started: DaemonStarted }> {
    const stopped = await this.stop(options.stop);
    const started = await this.start(options);
    return { stopped, started };
  }

  /** Creates `logs/`, appends a run marker, and returns the log's size before this run. */
  async #openLogForRun(options: DaemonStartOptions): Promise<number> {
    // The log can hold whatever the daemon printed: only its owner may read it (home and logs/ 0700, the file 0600).
    const logs = join(this.home, "logs");
    try {
      await mkdir(logs, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw this.#logUnusable(logs, error);
    }
    let offset = 0;
    try {
      offset = (await stat(this.logPath)).size;
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw this.#logUnusable(this.logPath, error);
    }
    const handle = await this.#openLog();
    try {
      const command = [options.command, ...(options.args ?? [])].join(" ");
      await handle.write(`--- ${new Date(this.#clock.now()).toISOString()} starting: ${command}\n`);
    } finally {
      await handle.close();
    }
    return offset;
  }

  /** Opens the log for appending; `DAEMON_START_FAILED` with the cause when it cannot be. */
  async #openLog() {
    try {
      return await open(this.logPath, "a", 0o600);
    } catch (error) {
      throw this.#logUnusable(this.logPath, error);
    }
  }

  #logUnusable(path: string, error: unknown): KernelError {
    const reason = error instanceof Error ? error.message : String(error);
    return new KernelError(DaemonErrorCode.startFailed, `cannot use the daemon log at ${path}: ${reason}`, {
      cause: error,
      details: { path, ...(errorCode(error) === undefined ? {} : { errno: errorCode(error) }) },
    });
  }

  async #spawn(options: DaemonStartOptions, logOffset: number): Promise<ChildProcess> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, ...options.env, OXIOS_HOME: this.home })) {
      if (value !== undefined) env[key] = value;
    }
    // O_APPEND: every write of the child lands at the end, whatever else writes the file.
    const log = await this.#openLog();
    let child: ChildProcess;
    let spawned: Promise<Error | undefined>;
    let exit: Promise<ExitInfo>;
    try {
      child = spawn(options.command, [...(options.args ?? [])], {
        detached: true,
        stdio: ["ignore", log.fd, log.fd],
        env,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
      // Listeners go on before the next await: "spawn", "error" and "exit" may fire meanwhile.
      spawned = new Promise<Error | undefined>((resolve) => {
        child.once("spawn", () => resolve(undefined));
        child.once("error", (error) => resolve(error));
      });
      exit = new Promise<ExitInfo>((resolve) => {
        child.once("exit", (code, signal) => resolve({ code, signal }));
      });
    } finally {
      await log.close();
    }
    const failure = await spawned;
    if (failure !== undefined || child.pid === undefined) {
      throw new KernelError(DaemonErrorCode.startFailed, `cannot start ${options.command}: ${failure?.message}`, {
        cause: failure,
        details: { command: options.command, logTail: await this.#logTail(logOffset) },
      });
    }
    const pid = child.pid;
    this.#exits.set(pid, exit);
    this.#children.set(pid, child);
    // The CLI must be able to exit while the daemon keeps running.
    child.unref();
    this.#logger.info("daemon process spawned", { pid, command: options.command, log: this.logPath });
    return child;
  }

  /** The pid file record when the health URL answers 2xx and the pid file names `pid`. */
  async #healthyRecord(url: URL, pid: number): Promise<PidRecord | undefined> {
    const timeout = timeoutSignal(this.#clock, 2_000, `health check of ${url.href} timed out`);
    try {
      const response = await fetch(url, { signal: timeout.signal });
      await response.arrayBuffer();
      if (!response.ok) {
        this.#logger.debug("health check not ok yet", { status: response.status });
        return undefined;
      }
    } catch (error) {
      // Connection refused is the normal answer while the daemon is still booting.
      this.#logger.debug("health check not answering yet", { error: (error as Error).message });
      return undefined;
    } finally {
      timeout.cancel();
    }
    const seen = await inspectPidFile(this.home);
    if (seen.state === "running" && seen.record.pid === pid) return seen.record;
    this.#logger.debug("health answers but the pid file does not name the new process yet", { pid });
    return undefined;
  }

  async #startFailed(pid: number, exit: ExitInfo, logOffset: number): Promise<KernelError> {
    this.#exits.delete(pid);
    this.#children.delete(pid);
    const tail = await this.#logTail(logOffset);
    const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    this.#logger.error("daemon exited before it was healthy", { pid, exitCode: exit.code, signal: exit.signal });
    return new KernelError(
      DaemonErrorCode.startFailed,
      `the daemon (pid ${pid}) ${how} before it was healthy; last log lines:\n${tail.join("\n")}`,
      { details: { pid, exitCode: exit.code, signal: exit.signal, logTail: tail, logPath: this.logPath } },
    );
  }

  /** The last lines written to the log since `offset`. */
  async #logTail(offset: number): Promise<string[]> {
    let text: string;
    try {
      text = await readFile(this.logPath, "utf8");
    } catch (error) {
      this.#logger.warn("cannot read the daemon log for its tail", { error: (error as Error).message });
      return [];
    }
    const run = text.slice(Math.max(offset, text.length - LOG_TAIL_BYTES));
    return run
      .split("\n")
      .filter((line) => line.trim() !== "")
      .slice(-LOG_TAIL_LINES);
  }

  /** True once the recorded process is gone (dead, a zombie, or its pid reused). */
  async #isGone(record: PidRecord): Promise<boolean> {
    const probe = await probeProcess(record.pid);
    if (!probe.alive) return true;
    return (
      record.processStart !== undefined && probe.startTicks !== undefined && probe.startTicks !== record.processStart
    );
  }

  async #waitGone(record: PidRecord, timeoutMs: number, exit: Promise<ExitInfo> | undefined): Promise<boolean> {
    const deadline = this.#clock.now() + timeoutMs;
    let delay = 20;
    for (;;) {
      if (await this.#isGone(record)) return true;
      const left = deadline - this.#clock.now();
      if (left <= 0) return false;
      await this.#sleepUnless(Math.min(delay, left), exit);
      delay = Math.min(delay * 2, 200);
    }
  }

  /** Sleeps `ms`, or less if `exit` settles first. */
  async #sleepUnless(ms: number, exit: Promise<ExitInfo> | undefined): Promise<void> {
    const controller = new AbortController();
    const sleeping = this.#clock.sleep(ms, controller.signal).then(
      () => undefined,
      (error: unknown) => {
        if (!controller.signal.aborted) throw error;
      },
    );
    await Promise.race(exit === undefined ? [sleeping] : [sleeping, exit]);
    controller.abort();
    await sleeping;
  }

  /** Signals the process group `pid` leads, or only `pid` when it does not lead one. */
  #signalGroup(pid: number, signal: NodeJS.Signals, processGroup: number | undefined): void {
    const target = processGroup === pid ? -pid : pid;
    if (!signalProcess(target, signal)) signalProcess(pid, signal);
  }
}
