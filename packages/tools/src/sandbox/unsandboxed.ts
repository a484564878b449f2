/**
 * No sandbox: the program runs as the kernel's user, with the kernel's view of the file
 * system and network, only in its own process group with the policy's environment. Nothing
 * chooses this by default; the kernel uses it only for an explicit `exec_sandbox = "none"`
 * and then says so at boot, in `/api/status` and in `oxios doctor`. The allowlist and the
 * metacharacter table of the exec policy are then the only layer; resource limits are not set.
 */

import { spawn } from "node:child_process";
import { abortError, createConsoleLogger, KernelError, type Logger } from "@oxios/core";
import { ToolErrorCode } from "../error-codes.ts";
import type { PreparedSandbox, Sandbox, SandboxAvailability, SandboxPolicy } from "./sandbox.ts";
import { SandboxChild } from "./sandbox-child.ts";

export class Unsandboxed implements Sandbox {
  readonly kind = "none";
  readonly #logger: Logger;

  constructor(options: { logger?: Logger } = {}) {
    this.#logger = options.logger ?? createConsoleLogger({ level: "warn" });
  }

  async availability(): Promise<SandboxAvailability> {
    return { available: true };
  }

  async prepare(policy: SandboxPolicy, signal: AbortSignal): Promise<PreparedSandbox> {
    if (signal.aborted) throw abortError(signal);
    return {
      run: (command) => {
        const child = spawn(command.file, [...command.args], {
          cwd: policy.workspace,
          env: { ...policy.env },
          detached: true,
          shell: false,
          stdio: ["ignore", "pipe", "pipe"],
          windowsHide: true,
        });
        return new SandboxChild(child, {
          kind: this.kind,
          logger: this.#logger,
          launcher: false,
          file: command.file,
          searchPath: policy.env.PATH ?? "",
          setupFailure: (reason, cause) => new KernelError(ToolErrorCode.execFailed, reason, { cause }),
        });
      },
      discard: () => undefined,
    };
  }

  async close(): Promise<void> {
    // Nothing is prepared ahead, so nothing waits to be ended.
  }
}
