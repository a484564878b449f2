/**
 * The exec tool. Structured mode (the default) runs an allowlisted bare binary with
 * arguments and no shell; shell mode runs `/bin/sh -c command` and is off unless the agent's
 * permissions and role allow it (the gate checks both, and asks for an approval). Every
 * program runs in an OS sandbox (see `sandbox/`): only the agent's workspace writable, the
 * network only with `permissions.network`, resource limits; where no sandbox can start the
 * call fails `EXEC_SANDBOX_UNAVAILABLE`. The process runs in the agent's workspace with a
 * scrubbed environment, a timeout clamped to 1–600 s (default 120), and capped stdout/stderr;
 * see `run-process.ts` for how it is stopped.
 */

import { abortError, type Clock } from "@oxios/core";
import { z } from "zod";
import { scrubbedEnv } from "../internal/scrubbed-env.ts";
import { platformSandbox } from "../sandbox/platform-sandbox.ts";
import { DEFAULT_RESOURCE_LIMITS, type ResourceLimits, type Sandbox } from "../sandbox/sandbox.ts";
import { defineTool } from "../tool.ts";
import { runProcess } from "./run-process.ts";

/** Variables copied from the kernel's environment; everything else is dropped. */
export const EXEC_ENV_ALLOWLIST: readonly string[] = ["HOME", "USER", "LOGNAME", "PATH", "LANG"];

export interface ExecToolOptions {
  /** Clock for the timeout and the kill grace. Default: the registry's clock. */
  clock?: Clock;
  /** Cap per stream. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL. Default 500 ms. */
  killGraceMs?: number;
  /** Environment to take the allowlisted variables from. Default `process.env`. */
  baseEnv?: Record<string, string | undefined>;
  /**
   * The OS sandbox every program runs in. Default: the platform's (`platformSandbox`) with no
   * spare sandboxes, so nothing outlives a call; a long-lived host (the kernel) passes one with
   * spares and closes it at shutdown. Only an explicit `Unsandboxed` runs programs without one.
   */
  sandbox?: Sandbox;
  /** Limits on every sandboxed process besides CPU seconds (which follow the call's timeout). Default `DEFAULT_RESOURCE_LIMITS`. */
  limits?: Partial<ResourceLimits>;
}

export const EXEC_TIMEOUT_SECONDS = { min: 1, max: 600, default: 120 } as const;

const execInput = z
  .object({
    mode: z
      .enum(["structured", "shell"])
      .default("structured")
      .describe("structured: run `binary` with `args`, no shell. shell: run `command` with /bin/sh (usually off)."),
    binary: z.string().min(1).optional().describe("Bare binary name looked up on PATH (structured mode)."),
    args: z.array(z.string()).default([]).describe("Arguments, passed as is (structured mode)."),
    command: z.string().min(1).optional().describe("Shell command line (shell mode)."),
    timeoutSeconds: z
      .number()
      .optional()
      .describe(`Timeout in seconds, clamped to ${EXEC_TIMEOUT_SECONDS.min}–${EXEC_TIMEOUT_SECONDS.max}.`),
  })
  .superRefine((input, context) => {
    if (input.mode === "structured" && input.binary === undefined) {
      context.addIssue({ code: "custom", path: ["binary"], message: "structured mode needs `binary`" });
    }
    if (input.mode === "shell" && input.command === undefined) {
      context.addIssue({ code: "custom", path: ["command"], message: "shell mode needs `command`" });
    }
  });

export interface ExecOutput {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  timedOut: boolean;
  /** Set when the kernel stopped the process: `timeout` or `output-limit`. */
  stoppedBy?: string;
  durationMs: number;
}

/** Clamps a requested timeout in seconds to 1–600 (default 120) and returns milliseconds. */
function clampTimeoutMs(seconds: number | undefined): number {
  const value = seconds === undefined || !Number.isFinite(seconds) ? EXEC_TIMEOUT_SECONDS.default : seconds;
  return Math.round(Math.min(EXEC_TIMEOUT_SECONDS.max, Math.max(EXEC_TIMEOUT_SECONDS.min, value)) * 1000);
}

export function execTool(options: ExecToolOptions = {}) {
  const maxOutputBytes = options.maxOutputBytes ?? 1024 * 1024;
  const killGraceMs = options.killGraceMs ?? 500;
  const limits = { ...DEFAULT_RESOURCE_LIMITS, ...options.limits };
  let sandbox = options.sandbox;
  return defineTool({
    name: "exec",
    description:
      "Run a program in your workspace directory. Structured mode: an allowlisted binary and its arguments, " +
      "no shell, no metacharacters. Returns exit code, signal, stdout, stderr (each capped) and duration.",
    input: execInput,
    family: "exec",
    access: (input) =>
      input.mode === "shell"
        ? { exec: { mode: "shell", command: input.command ?? "" }, dangerous: "shell command execution" }
        : { exec: { mode: "structured", binary: input.binary ?? "", args: input.args } },
    async execute(input, context) {
      const shell = input.mode === "shell";
      const file = shell ? "/bin/sh" : (input.binary ?? "");
      const args = shell ? ["-c", input.command ?? ""] : input.args;
      const timeoutMs = clampTimeoutMs(input.timeoutSeconds);
      sandbox ??= platformSandbox({ maxSpares: 0, logger: context.logger });
      const prepared = await sandbox.prepare(
        {
          workspace: context.workspaceDir,
          network: context.permissions.network,
          env: scrubbedEnv(options.baseEnv ?? process.env, EXEC_ENV_ALLOWLIST),
          limits,
        },
        context.signal,
      );
      if (context.signal.aborted) {
        prepared.discard();
        throw abortError(context.signal);
      }
      const result = await runProcess({
        process: prepared.run({ file, args, cpuSeconds: timeoutMs / 1000 }),
        file,
        timeoutMs,
        maxOutputBytes,
        killGraceMs,
        signal: context.signal,
        clock: options.clock ?? context.clock,
        logger: context.logger,
      });
      const output: ExecOutput = {
        exitCode: result.exitCode,
        signal: result.signal,
        stdout: result.stdout,
        stderr: result.stderr,
        stdoutTruncated: result.stdoutTruncated,
        stderrTruncated: result.stderrTruncated,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
      };
      if (result.stoppedBy !== undefined) output.stoppedBy = result.stoppedBy;
      return { output, truncated: result.stdoutTruncated || result.stderrTruncated };
    },
  });
}
