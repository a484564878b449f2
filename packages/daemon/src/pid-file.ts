/**
 * The daemon's pid file, `<home>/oxios.pid`: one JSON record naming the process that owns
 * the home (pid, start time, host, a random token, and its /proc start ticks on Linux).
 *
 * Creation is exclusive and never shows a half-written file: the record is written to a
 * unique temporary file (opened with `wx`) and published with `link()`, which fails with
 * EEXIST if a pid file exists — the same exclusive create as `wx`, but readers only ever see
 * a complete record. A pid file is stale when the recorded process is dead, is a zombie, is a
 * different process that reused the pid (start ticks differ), was written on another host,
 * or cannot be parsed. A stale file is removed under a short recovery lock after re-reading
 * it, so two starters racing over one stale file cannot delete each other's fresh file.
 */

import { randomUUID } from "node:crypto";
import { link, mkdir, open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { type Clock, KernelError, type Logger, systemClock } from "@oxios/core";
import { DaemonErrorCode } from "./error-codes.ts";
import { ownStartTicks, probeProcess } from "./process-probe.ts";

export const PID_FILE_NAME = "oxios.pid";

/** What a pid file records. */
export interface PidRecord {
  readonly pid: number;
  /** When the owner acquired the file, epoch milliseconds on its clock. */
  readonly startedAt: number;
  readonly hostname: string;
  /** Random per acquisition; only the holder of the token removes or rewrites the file. */
  readonly token: string;
  /** Linux /proc start ticks of `pid`, telling this process from a later one with the same pid. */
  readonly processStart?: string;
  /** The URL the daemon serves on, once it listens. */
  readonly url?: string;
}

export type PidFileState =
  | { readonly state: "running"; readonly record: PidRecord }
  | { readonly state: "stale"; readonly record?: PidRecord; readonly reason: string; readonly raw: string }
  | { readonly state: "absent" };

export interface PidFileOptions {
  readonly home: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** A recovery lock older than this is treated as left behind by a crashed starter. */
const RECOVERY_LOCK_MAX_AGE_MS = 10_000;
const MAX_ACQUIRE_ATTEMPTS = 200;

export function pidFilePath(home: string): string {
  return join(home, PID_FILE_NAME);
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function fileError(error: unknown, action: string, path: string): KernelError {
  return new KernelError(DaemonErrorCode.pidFileFailed, `cannot ${action} ${path}: ${(error as Error).message}`, {
    cause: error,
    details: { path, errno: errorCode(error) },
  });
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw fileError(error, "read", path);
  }
}

async function removeIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw fileError(error, "remove", path);
  }
}

/** Parses a pid file's text; undefined when it is not a well-formed record. */
export function parsePidRecord(text: string): PidRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { pid, startedAt, hostname: host, token, processStart, url } = record;
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (typeof startedAt !== "number" || !Number.isFinite(startedAt)) return undefined;
  if (typeof host !== "string" || typeof token !== "string" || token === "") return undefined;
  if (processStart !== undefined && typeof processStart !== "string") return undefined;
  if (url !== undefined && typeof url !== "string") return undefined;
  return {
    pid,
    startedAt,
    hostname: host,
    token,
    ...(processStart === undefined ? {} : { processStart }),
    ...(url === undefined ? {} : { url }),
  };
}

/**
 * Publishes the complete temporary file at `path`, failing with EEXIST when a pid file exists.
 * Where the file system has no hard links, falls back to writing `path` itself with `wx`.
 */
async function publish(temp: string, path: string, text: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (error) {
    const code = errorCode(error);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
    await writeFile(path, text, { flag: "wx", mode: 0o600 });
  }
}

/** Decides whether the process a record names is still the daemon that wrote it. */
async function judge(record: PidRecord): Promise<{ running: true } | { running: false; reason: string }> {
  if (record.hostname !== hostname()) {
    // The pid belongs to another machine's (or an earlier container's) process table.
    return { running: false, reason: `written on host ${record.hostname}` };
  }
  const probe = await probeProcess(record.pid);
  if (!probe.alive) return { running: false, reason: `process ${record.pid} is not running` };
  if (record.processStart !== undefined && probe.startTicks !== undefined && probe.startTicks !== record.processStart) {
    return { running: false, reason: `pid ${record.pid} now belongs to another process` };
  }
  return { running: true };
}

/**
 * Reads `<home>/oxios.pid` and says whether it names a running daemon, a stale one, or nothing.
 *
 * Throws: `DAEMON_PID_FILE_FAILED` when the file or /proc cannot be read; `DAEMON_STOP_FAILED`
 * only when probing the recorded pid fails other than ESRCH or EPERM. Abort: takes no signal.
 */
export async function inspectPidFile(home: string): Promise<PidFileState> {
  const raw = await readIfPresent(pidFilePath(home));
  if (raw === undefined) return { state: "absent" };
  const record = parsePidRecord(raw);
  if (record === undefined) return { state: "stale", reason: "the pid file is not a valid record", raw };
  const verdict = await judge(record);
  return verdict.running ? { state: "running", record } : { state: "stale", record, reason: verdict.reason, raw };
}

/**
 * Removes a stale pid file if it still holds exactly the bytes that were judged stale.
 * Serialised through `<home>/oxios.pid.recover` (exclusive create); returns false when another
 * process holds that lock right now, so the caller retries.
 *
 * Throws: `DAEMON_PID_FILE_FAILED` when the pid file or its recovery lock cannot be created,
 * read or removed. Abort: takes no signal.
 */
export async function removeStalePidFile(
  home: string,
  stale: Extract<PidFileState, { state: "stale" }>,
  options: { clock?: Clock; logger?: Logger } = {},
): Promise<boolean> {
  const clock = options.clock ?? systemClock;
  const path = pidFilePath(home);
  const lockPath = `${path}.recover`;
  try {
    const handle = await open(lockPath, "wx");
    await handle.close();
  } catch (error) {
    if (errorCode(error) !== "EEXIST") throw fileError(error, "create", lockPath);
    let ageMs: number;
    try {
      ageMs = clock.now() - (await stat(lockPath)).mtimeMs;
    } catch (statError) {
      if (errorCode(statError) === "ENOENT") return false;
      throw fileError(statError, "inspect", lockPath);
    }
    if (ageMs > RECOVERY_LOCK_MAX_AGE_MS) {
      options.logger?.warn("removing an abandoned pid recovery lock", { path: lockPath, ageMs });
      await removeIfPresent(lockPath);
    }
    return false;
  }
  try {
    const current = await readIfPresent(path);
    if (current !== stale.raw) return false;
    await removeIfPresent(path);
    options.logger?.warn("recovered a stale pid file", { path, pid: stale.record?.pid, reason: stale.reason });
    return true;
  } finally {
    await removeIfPresent(lockPath);
  }
}

/**
 * Removes the pid file if it carries `token` — used after its owner was stopped from outside
 * and could not remove the file itself. Returns whether a file was removed.
 *
 * Throws: `DAEMON_PID_FILE_FAILED` when the file cannot be read or removed. Abort: takes no signal.
 */
export async function removePidFileOwnedBy(home: string, token: string): Promise<boolean> {
  const path = pidFilePath(home);
  const raw = await readIfPresent(path);
  if (raw === undefined || parsePidRecord(raw)?.token !== token) return false;
  return removeIfPresent(path);
}

/**
 * The pid file this process holds. Only this holder (by token) rewrites or removes it. Each
 * method's comment says how it fails ("Throws:"); none takes a signal ("Abort:").
 */
export class PidFile {
  readonly path: string;
  #record: PidRecord;
  #released = false;
  #releasing: Promise<boolean> | undefined;
  readonly #logger: Logger | undefined;

  constructor(path: string, record: PidRecord, logger: Logger | undefined) {
    this.path = path;
    this.#record = record;
    this.#logger = logger;
  }

  get record(): PidRecord {
    return this.#record;
  }

  /**
   * Adds the serving URL to the record (atomic rewrite: temporary file + rename).
   *
   * Throws: `DAEMON_PID_FILE_FAILED` after `release`, when the file no longer carries this
   * holder's token, or when the rewrite fails (the file is left as it was).
   */
  async update(fields: { url: string }): Promise<void> {
    if (this.#released) throw new KernelError(DaemonErrorCode.pidFileFailed, "the pid file was already released");
    await this.#assertOwned();
    const next: PidRecord = { ...this.#record, url: fields.url };
    const temp = `${this.path}.${next.token}.update`;
    try {
      await writeFile(temp, `${JSON.stringify(next)}\n`, { flag: "wx", mode: 0o600 });
      await rename(temp, this.path);
    } catch (error) {
      await removeIfPresent(temp);
      throw fileError(error, "rewrite", this.path);
    }
    this.#record = next;
  }

  /**
   * Removes the pid file if it still carries this holder's token. Idempotent; returns whether
   * a file was removed. Calls made while one is under way share its outcome.
   *
   * Throws: `DAEMON_PID_FILE_FAILED` when the file cannot be read or removed; the holder is
   * then still unreleased, so a later call tries again.
   */
  release(): Promise<boolean> {
    if (this.#released) return Promise.resolve(false);
    this.#releasing ??= this.#release().finally(() => {
      this.#releasing = undefined;
    });
    return this.#releasing;
  }

  /** One release attempt; marks the holder released only once the file is dealt with. */
  async #release(): Promise<boolean> {
    const raw = await readIfPresent(this.path);
    if (raw === undefined) {
      this.#released = true;
      this.#logger?.warn("pid file already gone at release", { path: this.path });
      return false;
    }
    if (parsePidRecord(raw)?.token !== this.#record.token) {
      this.#released = true;
      this.#logger?.warn("pid file now belongs to another process; left in place", { path: this.path });
      return false;
    }
    const removed = await removeIfPresent(this.path);
    this.#released = true;
    this.#logger?.info("pid file removed", { path: this.path });
    return removed;
  }

  async #assertOwned(): Promise<void> {
    const raw = await readIfPresent(this.path);
    if (raw === undefined || parsePidRecord(raw)?.token !== this.#record.token) {
      throw new KernelError(DaemonErrorCode.pidFileFailed, `${this.path} is no longer held by this process`, {
        details: { path: this.path },
      });
    }
  }
}

/**
 * Creates `<home>/oxios.pid` for this process. A live owner → `DAEMON_ALREADY_RUNNING` with
 * its pid in the message and `details.pid`; a stale file is recovered (logged) and replaced.
 *
 * Throws: `DAEMON_ALREADY_RUNNING`; `DAEMON_PID_FILE_FAILED` when the home or the file cannot
 * be created or read, or after 200 rounds lost to other starters; `DAEMON_STOP_FAILED` only
 * when probing the recorded pid fails other than ESRCH or EPERM.
 * Abort: takes no signal; the contention rounds bound the wait.
 */
export async function acquirePidFile(options: PidFileOptions): Promise<PidFile> {
  const clock = options.clock ?? systemClock;
  const path = pidFilePath(options.home);
  try {
    await mkdir(options.home, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw fileError(error, "create", options.home);
  }
  const processStart = await ownStartTicks();
  const record: PidRecord = {
    pid: process.pid,
    startedAt: clock.now(),
    hostname: hostname(),
    token: randomUUID(),
    ...(processStart === undefined ? {} : { processStart }),
  };
  const temp = `${path}.${record.token}.new`;
  const text = `${JSON.stringify(record)}\n`;
  try {
    await writeFile(temp, text, { flag: "wx", mode: 0o600 });
  } catch (error) {
    throw fileError(error, "create", temp);
  }
  try {
    for (let attempt = 0; attempt < MAX_ACQUIRE_ATTEMPTS; attempt++) {
      try {
        await publish(temp, path, text);
        options.logger?.info("pid file written", { path, pid: record.pid });
        return new PidFile(path, record, options.logger);
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw fileError(error, "create", path);
      }
      const seen = await inspectPidFile(options.home);
      if (seen.state === "running") {
        throw new KernelError(
          DaemonErrorCode.alreadyRunning,
          `an oxios daemon is already running with pid ${seen.record.pid} (${path})`,
          { details: { pid: seen.record.pid, path, url: seen.record.url } },
        );
      }
      if (seen.state === "stale" && !(await removeStalePidFile(options.home, seen, options))) {
        // Another starter holds the recovery lock; give it a moment before looking again.
        await clock.sleep(5 + Math.min(attempt, 20));
      }
    }
    throw new KernelError(DaemonErrorCode.pidFileFailed, `could not take ${path}: too much contention`, {
      details: { path },
    });
  } finally {
    await removeIfPresent(temp);
  }
}
