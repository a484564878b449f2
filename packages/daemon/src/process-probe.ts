/**
 * Looks at another process by pid: is it alive, and which process is it? On Linux the
 * answer comes from /proc/<pid>/stat — its start time (clock ticks since boot) identifies a
 * process across pid reuse, its state tells a zombie from a live process, and its process
 * group says whether the pid leads a group we may signal as a whole. Elsewhere only
 * liveness (`kill(pid, 0)`) is known.
 */

import { readFile } from "node:fs/promises";
import { KernelError } from "@oxios/core";
import { DaemonErrorCode } from "./error-codes.ts";

export interface ProcessProbe {
  /** True while a process (not a zombie) holds the pid. */
  readonly alive: boolean;
  /** /proc start time in clock ticks since boot, as text; undefined where /proc is unavailable. */
  readonly startTicks?: string;
  /** /proc process group id; undefined where /proc is unavailable. */
  readonly processGroup?: number;
}

interface ProcStat {
  state: string;
  processGroup: number;
  startTicks: string;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Parses /proc/<pid>/stat; the command name sits in parentheses and may itself hold spaces or ")". */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close === -1) return undefined;
  // Fields after the command name start at field 3 (state); starttime is field 22.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const processGroup = Number(fields[2]);
  const startTicks = fields[19];
  if (state === undefined || startTicks === undefined || !Number.isInteger(processGroup)) return undefined;
  return { state, processGroup, startTicks };
}

async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  } catch (error) {
    const code = errorCode(error);
    // No /proc (macOS, BSD) or the process is gone: the caller falls back to kill(pid, 0).
    if (code === "ENOENT" || code === "ESRCH" || code === "EACCES" || code === "ENOTDIR") return undefined;
    throw KernelError.from(error, DaemonErrorCode.pidFileFailed, `cannot read /proc/${pid}/stat`);
  }
}

/** Signals `pid`; false when no such process exists. EPERM counts as "exists". */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === "ESRCH") return false;
    if (code === "EPERM") {
      if (signal === 0) return true;
      throw new KernelError(DaemonErrorCode.stopFailed, `not permitted to send ${signal} to process ${pid}`, {
        cause: error,
        details: { pid },
      });
    }
    throw KernelError.from(error, DaemonErrorCode.stopFailed, `cannot signal process ${pid}`);
  }
}

export async function probeProcess(pid: number): Promise<ProcessProbe> {
  if (!Number.isInteger(pid) || pid <= 0) return { alive: false };
  if (!signalProcess(pid, 0)) return { alive: false };
  const stat = await readProcStat(pid);
  if (stat === undefined) return { alive: true };
  // "Z" zombie and "X" dead: exited, only waiting to be reaped by its parent.
  const alive = stat.state !== "Z" && stat.state !== "X";
  return { alive, startTicks: stat.startTicks, processGroup: stat.processGroup };
}

/** This process's /proc start time, or undefined where /proc is unavailable. */
export async function ownStartTicks(): Promise<string | undefined> {
  return (await readProcStat(process.pid))?.startTicks;
}
