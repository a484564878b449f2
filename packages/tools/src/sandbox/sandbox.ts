/**
 * The Sandbox port: how a tool starts a process confined by the operating system. The exec
 * tool never spawns a program itself; it asks a Sandbox to prepare a confined process for
 * the agent's policy and then to run the program in it. Adapters: bubblewrap on Linux
 * (`bubblewrap-sandbox.ts`), Seatbelt on macOS (`seatbelt-sandbox.ts`, untested here), and
 * `Unsandboxed`, which only an explicit configuration may choose.
 *
 * Contract for implementations:
 * - Only the policy's workspace is writable; nothing of the host but the read-only system
 *   directories and the workspace is visible; the network is reachable only when
 *   `policy.network` is true.
 * - `policy.limits` bind every process of the sandbox (file size, process count, address
 *   space), and `command.cpuSeconds` the CPU time of each.
 * - `SandboxProcess.pid` leads a process group: killing that group (SIGTERM, then SIGKILL)
 *   ends every process of the sandbox, whatever they did (`setsid`, double fork); so does the
 *   program's own exit and the death of the kernel process.
 * - A sandbox that cannot start is refused with `EXEC_SANDBOX_UNAVAILABLE`, never run
 *   without confinement.
 */

import type { Readable } from "node:stream";
import { KernelError } from "@oxios/core";
import { ToolErrorCode } from "../error-codes.ts";

/**
 * Resource limits on every process in a sandbox, set when the sandbox is set up. CPU seconds
 * are per call (`SandboxCommand.cpuSeconds`).
 */
export interface ResourceLimits {
  /** Largest file a process may write, in bytes (`RLIMIT_FSIZE`). */
  fileSizeBytes: number;
  /** Processes (threads included) the sandbox's user may have (`RLIMIT_NPROC`). */
  processes: number;
  /** Address space per process, in bytes (`RLIMIT_AS`). */
  addressSpaceBytes: number;
}

/** Defaults: 1 GiB files, 256 processes, 2 GiB of address space. */
export const DEFAULT_RESOURCE_LIMITS: Readonly<ResourceLimits> = {
  fileSizeBytes: 1024 * 1024 * 1024,
  processes: 256,
  addressSpaceBytes: 2 * 1024 * 1024 * 1024,
};

/** What one sandboxed process may reach. */
export interface SandboxPolicy {
  /** The agent's workspace as a real path: the working directory and the only writable place. */
  workspace: string;
  /** Whether the host's network is reachable; otherwise the process has only its own loopback. */
  network: boolean;
  /** The complete environment of the program (nothing else is inherited). */
  env: Readonly<Record<string, string>>;
  /** Limits on every process of the sandbox. */
  limits: ResourceLimits;
}

/** The program to run: a bare name looked up on the sandbox's PATH, or an absolute path. */
export interface SandboxCommand {
  file: string;
  args: readonly string[];
  /** CPU seconds per process (`RLIMIT_CPU`); the exec tool derives it from the call's timeout. */
  cpuSeconds: number;
}

/** A running sandboxed program. */
export interface SandboxProcess {
  /** Leader of the process group that holds the sandbox (see the contract above). */
  readonly pid: number;
  /** The program's output; possibly paused until its reader resumes it. */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles once the group's leader has exited (its streams may still be open). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Settles once the process has exited and its output streams are closed. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Why the program never ran (`TOOL_EXEC_FAILED`: not found on the sandbox's PATH, or could
   * not be started), known once `closed` has settled; undefined when it ran.
   */
  startFailure(): KernelError | undefined;
}

/** A confined process waiting for its program (see `Sandbox.prepare`). */
export interface PreparedSandbox {
  /** Runs `command` in the prepared sandbox; a prepared sandbox runs at most one command. */
  run(command: SandboxCommand): SandboxProcess;
  /** Ends the prepared sandbox without running anything. */
  discard(): void;
}

export type SandboxAvailability = { available: true } | { available: false; reason: string };

export interface Sandbox {
  /** `bubblewrap`, `seatbelt`, `none` or `unavailable`. */
  readonly kind: string;
  /** Whether a sandbox can start on this machine; the reason says how to fix it when not. Never throws. */
  availability(): Promise<SandboxAvailability>;
  /**
   * A confined process for `policy`, ready to run one command.
   *
   * Throws: `EXEC_SANDBOX_UNAVAILABLE` when no sandbox can start (the reason says how to
   * install one).
   * Abort: rejects with the signal's error; nothing is left running.
   */
  prepare(policy: SandboxPolicy, signal: AbortSignal): Promise<PreparedSandbox>;
  /** Ends every prepared sandbox that is still waiting (at shutdown). Running ones are their callers'. */
  close(): Promise<void>;
  /**
   * The host user the confined programs run as, when it is not the kernel's own (a root
   * kernel's bubblewrap sandbox): workspaces must be created owned by it, so that files the
   * file tools write there (under the kernel's umask 077) stay usable by the agent's programs.
   */
  readonly workspaceOwner?: { uid: number; gid: number };
}

/** The `EXEC_SANDBOX_UNAVAILABLE` error for `reason`. */
export function sandboxUnavailable(kind: string, reason: string, cause?: unknown): KernelError {
  return new KernelError(ToolErrorCode.sandboxUnavailable, `exec refused: no ${kind} sandbox can start: ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { sandbox: kind, reason },
  });
}
