/**
 * The OS sandbox the kernel's exec tool runs every program in, from `exec_sandbox`: `auto` is
 * the platform's (bubblewrap on Linux, Seatbelt on macOS) with spare sandboxes kept ready for
 * the next call; where it cannot start, exec is refused (`EXEC_SANDBOX_UNAVAILABLE`) — the
 * kernel still boots. Only `none` runs programs without one, and then boot warns, and
 * `/api/status` and `oxios doctor` show it.
 */

import type { Clock, Logger } from "@oxios/core";
import { platformSandbox, type Sandbox, Unsandboxed } from "@oxios/tools";
import type { KernelConfig } from "./config.ts";

export interface ExecSandboxStatus {
  /** `bubblewrap`, `seatbelt`, `none` or `unavailable`. */
  kind: string;
  /** Whether exec can run programs. */
  available: boolean;
  /** Why not, or the warning for `none`. */
  reason?: string;
}

export const UNSANDBOXED_WARNING =
  'exec runs WITHOUT an OS sandbox (exec_sandbox = "none"): agents\' programs can read and write ' +
  "everything the kernel's user can; the exec allowlist is the only layer";

export function createExecSandbox(
  config: Pick<KernelConfig, "execSandbox" | "execReadOnlyPaths">,
  options: { logger: Logger; clock?: Clock; spares?: number },
): Sandbox {
  if (config.execSandbox === "none") return new Unsandboxed({ logger: options.logger });
  return platformSandbox({
    readOnlyPaths: config.execReadOnlyPaths,
    logger: options.logger,
    maxSpares: options.spares ?? 4,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

/** What `/api/status` and `oxios doctor` say about the sandbox. */
export async function execSandboxStatus(sandbox: Sandbox): Promise<ExecSandboxStatus> {
  if (sandbox.kind === "none") return { kind: "none", available: true, reason: UNSANDBOXED_WARNING };
  const availability = await sandbox.availability();
  return availability.available
    ? { kind: sandbox.kind, available: true }
    : { kind: sandbox.kind, available: false, reason: availability.reason };
}
