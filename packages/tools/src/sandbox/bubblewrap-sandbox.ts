/**
 * The Linux sandbox: every program runs under bubblewrap (`bwrap`, Debian package
 * `bubblewrap`). Per sandbox:
 *
 * - file system: a read-only `/usr` (and `/bin`, `/lib`… as the host has them), a few `/etc`
 *   files programs need (never `shadow`, `sudoers` or the kernel's home), a new `/proc` of
 *   the sandbox's own pid namespace, a minimal read-only `/dev`, private size-capped tmpfs
 *   `/tmp` and `/dev/shm`, and the agent's workspace — the only writable bind, at its own path;
 *   the root itself is read-only; nothing else of the host exists inside;
 * - namespaces: pid, ipc, uts, cgroup and mount always; network unless the policy allows the
 *   network (then only the host's network, still nothing of its files);
 * - identity: for a kernel running as an ordinary user, a new user namespace in which the
 *   program is uid/gid 65534 (mapped to the kernel's user) and cannot create further user
 *   namespaces; for a kernel running as root, the program runs as an unprivileged host user
 *   (65534:65534 unless configured; `setpriv` drops every capability and sets no_new_privs),
 *   because root is exempt from `RLIMIT_NPROC` and a namespace mapped to root could not bound
 *   the process count;
 * - `--die-with-parent`, `--new-session`, a cleared environment (the policy's variables, PATH
 *   the sandbox's own, HOME the workspace);
 * - limits: file size, process count and address space set by `prlimit` as the sandbox is
 *   set up; CPU seconds per call by the launcher's `ulimit`.
 *
 * The sandbox's first process (bwrap's monitor) leads the process group the kernel kills; when
 * it dies, bwrap's pid 1 inside is killed (`--die-with-parent`) and with it every process of
 * the pid namespace, `setsid` or not. Sandboxes are prepared ahead by a `WarmPool`.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { chownSync, existsSync, lstatSync, readlinkSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Clock, createConsoleLogger, KernelError, type Logger, systemClock } from "@oxios/core";
import { LAUNCHER_SCRIPT, launchLine, prlimitArgs } from "./launcher.ts";
import {
  DEFAULT_RESOURCE_LIMITS,
  type PreparedSandbox,
  type Sandbox,
  type SandboxAvailability,
  type SandboxPolicy,
  sandboxUnavailable,
} from "./sandbox.ts";
import { SandboxChild } from "./sandbox-child.ts";
import { WarmPool } from "./warm-pool.ts";

/** Who the sandboxed programs are: see the module comment. */
export type SandboxIdentity = "user-namespace" | { uid: number; gid: number };

export interface BubblewrapSandboxOptions {
  /** The bwrap executable. Default `bwrap`, looked up on the kernel's PATH. */
  bwrapPath?: string;
  /**
   * Host paths made visible read-only at the same place, for a runtime installed outside
   * `/usr` (such as `/opt/node`); a `bin` directory inside one goes in front of PATH.
   */
  readOnlyPaths?: readonly string[];
  /** Default: `user-namespace`, or `{uid: 65534, gid: 65534}` when the kernel runs as root. */
  identity?: SandboxIdentity;
  /** Size of each of the private `/tmp` and `/dev/shm`. Default 256 MiB. */
  tmpBytes?: number;
  /** Spare sandboxes kept set up for the next call (see `warm-pool.ts`). Default 4; 0 turns them off. */
  maxSpares?: number;
  /** A spare unused this long is ended. Default 30 s. */
  spareIdleMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** The availability probe's policy: no workspace. */
type ProbePolicy = Omit<SandboxPolicy, "workspace"> & { workspace: undefined };

/** PATH inside the sandbox before any `readOnlyPaths` bin directories. */
export const SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin";
/** The unprivileged user and group a root kernel's sandboxes run as by default (`nobody`). */
export const DEFAULT_SANDBOX_HOST_USER = { uid: 65534, gid: 65534 } as const;

/** The `/etc` entries programs need (name lookup, dynamic linker, time zone, TLS roots, git). */
const ETC_ENTRIES = [
  "passwd",
  "group",
  "nsswitch.conf",
  "hosts",
  "host.conf",
  "gai.conf",
  "protocols",
  "services",
  "localtime",
  "timezone",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "alternatives",
  "ssl/certs",
  "ssl/openssl.cnf",
  "ca-certificates",
  "ca-certificates.conf",
  "gitconfig",
  "mime.types",
  "locale.alias",
];
/** Only with the network. */
const NETWORK_ETC_ENTRIES = ["resolv.conf"];
/** Top-level directories that are links into `/usr` on merged-/usr systems, or real directories elsewhere. */
const SYSTEM_TOP_LEVEL = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

const INSTALL_HINT =
  "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; " +
  "Arch: pacman -S bubblewrap)";

export class BubblewrapSandbox implements Sandbox {
  readonly kind = "bubblewrap";
  readonly identity: SandboxIdentity;
  /** PATH inside the sandbox. */
  readonly path: string;
  readonly #bwrap: string;
  readonly #logger: Logger;
  readonly #systemArgs: string[];
  readonly #readOnlyPaths: string[];
  readonly #pool: WarmPool;
  #available: Promise<SandboxAvailability> | undefined;

  constructor(options: BubblewrapSandboxOptions = {}) {
    this.#bwrap = options.bwrapPath ?? "bwrap";
    this.#logger = options.logger ?? createConsoleLogger({ level: "warn" });
    const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
    this.identity = options.identity ?? (isRoot ? { ...DEFAULT_SANDBOX_HOST_USER } : "user-namespace");
    if (isRoot && this.identity === "user-namespace") {
      this.#logger.warn("sandbox: a user namespace mapped to root does not bound the process count (RLIMIT_NPROC)");
    }
    this.#readOnlyPaths = [...(options.readOnlyPaths ?? [])];
    const binDirs = this.#readOnlyPaths.map((path) => join(path, "bin")).filter((path) => existsSync(path));
    this.path = [...binDirs, SANDBOX_PATH].join(":");
    this.#systemArgs = systemArgs(options.tmpBytes ?? 256 * 1024 * 1024);
    this.#pool = new WarmPool({
      spawn: (policy) => this.#spawn(policy),
      maxSpares: options.maxSpares ?? 4,
      idleMs: options.spareIdleMs ?? 30_000,
      clock: options.clock ?? systemClock,
      logger: this.#logger,
    });
  }

  get workspaceOwner(): { uid: number; gid: number } | undefined {
    return this.identity === "user-namespace" ? undefined : this.identity;
  }

  /** Spare sandboxes waiting right now. */
  get spares(): number {
    return this.#pool.size;
  }

  availability(): Promise<SandboxAvailability> {
    this.#available ??= this.#probe().then((result) => {
      // Remember success; after a failure, probe again next time (bwrap may have been installed).
      if (!result.available) this.#available = undefined;
      return result;
    });
    return this.#available;
  }

  async prepare(policy: SandboxPolicy, signal: AbortSignal): Promise<PreparedSandbox> {
    const availability = await this.availability();
    if (!availability.available) throw sandboxUnavailable(this.kind, availability.reason);
    const child = await this.#pool.take(policy, signal);
    return {
      run: (command) => {
        child.start(command.file, launchLine(command));
        return child;
      },
      discard: () => child.kill(),
    };
  }

  async close(): Promise<void> {
    this.#pool.close();
  }

  /** The full bwrap argument list for `policy` (`workspace` undefined: the availability probe). */
  args(policy: ProbePolicy | SandboxPolicy): string[] {
    const { workspace, network } = policy;
    const identity =
      this.identity === "user-namespace"
        ? ["--unshare-user", "--uid", "65534", "--gid", "65534", "--disable-userns"]
        : ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"];
    const etc = [...ETC_ENTRIES, ...(network ? NETWORK_ETC_ENTRIES : [])].map((entry) => `/etc/${entry}`);
    const readOnly = this.#readOnlyPaths;
    const destinations = [...etc, ...readOnly, ...(workspace === undefined ? [] : [workspace])];
    const env: Record<string, string> = { ...policy.env, PATH: this.path, HOME: workspace ?? "/tmp" };
    const dropToHostUser =
      this.identity === "user-namespace"
        ? []
        : [
            "setpriv",
            `--reuid=${this.identity.uid}`,
            `--regid=${this.identity.gid}`,
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
          ];
    return [
      "--die-with-parent",
      "--new-session",
      "--unshare-ipc",
      "--unshare-pid",
      "--unshare-uts",
      "--unshare-cgroup",
      ...(network ? [] : ["--unshare-net"]),
      ...identity,
      "--hostname",
      "oxios-sandbox",
      ...this.#systemArgs,
      ...ancestorDirs(destinations),
      ...etc.flatMap((path) => ["--ro-bind-try", path, path]),
      ...readOnly.flatMap((path) => ["--ro-bind", path, path]),
      ...(workspace === undefined ? ["--chdir", "/"] : ["--bind", workspace, workspace, "--chdir", workspace]),
      "--remount-ro",
      "/",
      "--clearenv",
      ...Object.entries(env).flatMap(([name, value]) => ["--setenv", name, value]),
      "--",
      ...dropToHostUser,
      ...prlimitArgs(policy.limits),
      "/bin/sh",
      "-c",
      LAUNCHER_SCRIPT,
    ];
  }

  #spawn(policy: ProbePolicy | SandboxPolicy): SandboxChild {
    if (policy.workspace !== undefined && this.identity !== "user-namespace") {
      ownWorkspace(policy.workspace, this.identity);
    }
    let child: ChildProcess;
    try {
      child = spawn(this.#bwrap, this.args(policy), {
        detached: true,
        stdio: ["ignore", "pipe", "pipe", "pipe"],
        // bwrap's own environment reaches nothing inside (--clearenv); PATH only finds it.
        env: process.env.PATH === undefined ? {} : { PATH: process.env.PATH },
        cwd: "/",
      });
    } catch (error) {
      throw sandboxUnavailable(this.kind, `${this.#bwrap} could not be started: ${(error as Error).message}`, error);
    }
    return new SandboxChild(child, {
      kind: this.kind,
      logger: this.#logger,
      launcher: true,
      searchPath: this.path,
      setupFailure: (reason, cause) => sandboxUnavailable(this.kind, this.#explain(reason), cause),
    });
  }

  #explain(reason: string): string {
    if (reason === "its program was not found") return `${this.#bwrap} was not found: ${INSTALL_HINT}`;
    if (/namespace|uid map|setting up uid|unprivileged_userns/i.test(reason)) {
      return (
        `bubblewrap could not create the sandbox (${reason}); user namespaces may be off: ` +
        "sysctl kernel.unprivileged_userns_clone=1 (Debian) or user.max_user_namespaces > 0, " +
        "and on Ubuntu 24.04+ allow them for bwrap (kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile)"
      );
    }
    return `bubblewrap could not create the sandbox: ${reason}`;
  }

  /** Sets up a sandbox with no workspace once (every namespace, mount and limit) and ends it. */
  async #probe(): Promise<SandboxAvailability> {
    let child: SandboxChild;
    try {
      child = this.#spawn({ workspace: undefined, network: false, env: {}, limits: DEFAULT_RESOURCE_LIMITS });
    } catch (error) {
      return { available: false, reason: KernelError.from(error).message };
    }
    try {
      await child.ready;
    } catch (error) {
      const reason = String((error as KernelError).details?.reason ?? (error as Error).message);
      this.#logger.warn("sandbox probe failed", { reason });
      return { available: false, reason };
    }
    child.start("true", "exit 0\n");
    const { code, signal } = await child.closed;
    if (code === 0) return { available: true };
    const reason = `the probe sandbox ended with ${signal ?? `exit code ${code}`}`;
    this.#logger.warn("sandbox probe failed", { reason });
    return { available: false, reason };
  }
}

/** Read-only system directories, /proc, /dev and the private tmpfs mounts. */
function systemArgs(tmpBytes: number): string[] {
  const links: string[] = [];
  for (const path of SYSTEM_TOP_LEVEL) {
    let stats: ReturnType<typeof lstatSync>;
    try {
      stats = lstatSync(path);
    } catch (error) {
      if ((error as { code?: unknown }).code === "ENOENT") continue;
      throw error;
    }
    if (stats.isSymbolicLink()) links.push("--symlink", readlinkSync(path), path);
    else if (stats.isDirectory()) links.push("--ro-bind", path, path);
  }
  const size = String(Math.max(1, Math.floor(tmpBytes)));
  return [
    "--ro-bind",
    "/usr",
    "/usr",
    ...links,
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--perms",
    "1777",
    "--size",
    size,
    "--tmpfs",
    "/dev/shm",
    "--remount-ro",
    "/dev",
    "--perms",
    "1777",
    "--size",
    size,
    "--tmpfs",
    "/tmp",
  ];
}

/**
 * `--dir` (mode 0755) for every ancestor of the bind destinations: bwrap would otherwise
 * create them 0700, which a sandbox running as an unprivileged host user could not enter.
 */
function ancestorDirs(destinations: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const destination of destinations) {
    for (let dir = dirname(destination); dir !== "/" && dir !== "."; dir = dirname(dir)) dirs.add(dir);
  }
  return [...dirs]
    .sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1))
    .flatMap((dir) => ["--perms", "0755", "--dir", dir]);
}

/** A root kernel's sandbox user must own the workspace to write in it. */
function ownWorkspace(workspace: string, user: { uid: number; gid: number }): void {
  const stats = statSync(workspace);
  if (stats.uid !== user.uid || stats.gid !== user.gid) chownSync(workspace, user.uid, user.gid);
}
