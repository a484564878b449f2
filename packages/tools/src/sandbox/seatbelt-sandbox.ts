/**
 * The macOS sandbox: every program runs under `sandbox-exec` with a Seatbelt profile written
 * per policy — deny by default; read the system (`/usr`, `/bin`, `/sbin`, `/System`,
 * `/Library/Apple`, `/private/etc`, `/dev`) and `readOnlyPaths`; read and write only the
 * workspace (its `.tmp` is the program's TMPDIR); network only when the policy allows it.
 * Limits are set with the shell's `ulimit` (file size, processes and virtual memory before the
 * launcher waits, CPU seconds per call). Same launcher protocol as bubblewrap (see `launcher.ts`).
 *
 * UNTESTED: written to the Sandbox contract but never run by this project's tests, which run
 * on Linux. macOS has no pid namespace: the kernel kills the program's process group, so a
 * process that leaves the group (`setsid`) is not killed with it. `sandbox-exec` is
 * deprecated by Apple but still shipped.
 */

import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createConsoleLogger, type Logger } from "@oxios/core";
import { LAUNCHER_SCRIPT, launchLine } from "./launcher.ts";
import {
  DEFAULT_RESOURCE_LIMITS,
  type PreparedSandbox,
  type ResourceLimits,
  type Sandbox,
  type SandboxAvailability,
  type SandboxPolicy,
  sandboxUnavailable,
} from "./sandbox.ts";
import { SandboxChild } from "./sandbox-child.ts";

export interface SeatbeltSandboxOptions {
  /** Default `/usr/bin/sandbox-exec`. */
  sandboxExecPath?: string;
  /** Host paths the program may read (a runtime outside `/usr`). */
  readOnlyPaths?: readonly string[];
  logger?: Logger;
}

const SYSTEM_READ = [
  "/usr",
  "/bin",
  "/sbin",
  "/System",
  "/Library/Apple",
  "/private/etc",
  "/private/var/db/timezone",
  "/dev",
];
const SEATBELT_PATH = "/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin";

/** A Seatbelt string literal. */
function sbString(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** The profile for one policy. */
export function seatbeltProfile(policy: SandboxPolicy, readOnlyPaths: readonly string[]): string {
  const read = [...SYSTEM_READ, ...readOnlyPaths].map((path) => `(subpath ${sbString(path)})`).join(" ");
  return [
    "(version 1)",
    "(deny default)",
    "(allow process-fork process-exec)",
    "(allow signal (target same-sandbox))",
    "(allow sysctl-read mach-lookup ipc-posix-shm file-read-metadata)",
    `(allow file-read* (literal "/") ${read})`,
    '(allow file-write* (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty"))',
    `(allow file-read* file-write* (subpath ${sbString(policy.workspace)}))`,
    policy.network
      ? "(allow network*)"
      : '(allow network* (remote unix-socket (path-literal "/private/var/run/mDNSResponder")))',
  ].join("\n");
}

/** `ulimit` statements for macOS's /bin/sh (bash in POSIX mode: -f counts 512-byte blocks). */
function ulimitPreamble(limits: ResourceLimits): string {
  const blocks = Math.max(1, Math.floor(limits.fileSizeBytes / 512));
  const kib = Math.max(1, Math.floor(limits.addressSpaceBytes / 1024));
  return `ulimit -f ${blocks} && ulimit -u ${Math.floor(limits.processes)} && ulimit -v ${kib} || exit 126\n`;
}

export class SeatbeltSandbox implements Sandbox {
  readonly kind = "seatbelt";
  readonly #sandboxExec: string;
  readonly #readOnlyPaths: readonly string[];
  readonly #logger: Logger;

  constructor(options: SeatbeltSandboxOptions = {}) {
    this.#sandboxExec = options.sandboxExecPath ?? "/usr/bin/sandbox-exec";
    this.#readOnlyPaths = options.readOnlyPaths ?? [];
    this.#logger = options.logger ?? createConsoleLogger({ level: "warn" });
  }

  async availability(): Promise<SandboxAvailability> {
    const child = this.#spawn({ workspace: "/private/tmp", network: false, env: {}, limits: DEFAULT_RESOURCE_LIMITS });
    try {
      await child.ready;
    } catch (error) {
      return { available: false, reason: (error as Error).message };
    }
    child.start("true", "exit 0\n");
    const { code } = await child.closed;
    return code === 0 ? { available: true } : { available: false, reason: `sandbox-exec probe exited ${code}` };
  }

  async prepare(policy: SandboxPolicy): Promise<PreparedSandbox> {
    const child = this.#spawn(policy);
    await child.ready;
    return {
      run: (command) => {
        child.start(command.file, launchLine(command));
        return child;
      },
      discard: () => child.kill(),
    };
  }

  async close(): Promise<void> {
    // Nothing is prepared ahead, so nothing waits to be ended.
  }

  #spawn(policy: SandboxPolicy): SandboxChild {
    const tmp = join(policy.workspace, ".tmp");
    mkdirSync(tmp, { recursive: true });
    const env = { ...policy.env, PATH: SEATBELT_PATH, HOME: policy.workspace, TMPDIR: tmp };
    const child = spawn(
      this.#sandboxExec,
      [
        "-p",
        seatbeltProfile(policy, this.#readOnlyPaths),
        "/bin/sh",
        "-c",
        ulimitPreamble(policy.limits) + LAUNCHER_SCRIPT,
      ],
      {
        cwd: policy.workspace,
        env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe", "pipe"],
      },
    );
    return new SandboxChild(child, {
      kind: this.kind,
      logger: this.#logger,
      launcher: true,
      searchPath: SEATBELT_PATH,
      setupFailure: (reason, cause) => sandboxUnavailable(this.kind, `sandbox-exec: ${reason}`, cause),
    });
  }
}
