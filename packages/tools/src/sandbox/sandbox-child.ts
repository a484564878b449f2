/**
 * A spawned process as the kernel holds it: the child (started detached, so it leads its own
 * process group), its exit observed from the moment it was spawned (so no event is missed
 * however late a caller looks), and — for launcher-based sandboxes — the control socket on
 * file descriptor 3 (see `launcher.ts`): `ready` settles when the launcher says `R`, `start`
 * sends the command line, an `N` marks the program as not found. Without a launcher (the
 * unsandboxed adapter) the program is the child itself: it is ready at once, and a spawn
 * error is the start failure.
 */

import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import { CoreErrorCode, KernelError, type Logger } from "@oxios/core";
import { ToolErrorCode } from "../error-codes.ts";
import { LAUNCHER_NOT_FOUND, LAUNCHER_READY } from "./launcher.ts";
import type { SandboxProcess } from "./sandbox.ts";

export interface SandboxChildOptions {
  /** The sandbox kind, for messages. */
  kind: string;
  logger: Logger;
  /** Turns "the sandbox exited before it was ready" into the error `ready` rejects with. */
  setupFailure: (reason: string, cause?: unknown) => KernelError;
  /** Says where the program was looked up, for the not-found message. */
  searchPath: string;
  /** Whether the child runs the launcher (control socket on fd 3) or is the program itself. */
  launcher: boolean;
  /** The program, for messages (known at spawn time when there is no launcher). */
  file?: string;
}

export class SandboxChild implements SandboxProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Settles once the launcher is waiting for its command; rejects if the sandbox died first. */
  readonly ready: Promise<void>;
  readonly #control: Socket | undefined;
  readonly #options: SandboxChildOptions;
  #file: string;
  #ready = false;
  #notFound = false;
  #spawnError: unknown;
  #started = false;
  #exited = false;

  constructor(child: ChildProcess, options: SandboxChildOptions) {
    this.child = child;
    this.#options = options;
    this.#file = options.file ?? "";
    this.pid = child.pid ?? -1;
    this.#control = options.launcher ? (child.stdio[3] as Socket) : undefined;
    let resolveReady: () => void = () => undefined;
    let rejectReady: (error: KernelError) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    // A caller that never waits for readiness (a spare discarded early) must not leave an
    // unhandled rejection behind; callers that do wait still see it.
    this.ready.catch((error: unknown) => options.logger.debug("sandbox never became ready", { error }));
    child.on("error", (error) => {
      this.#spawnError = error;
      options.logger.debug("sandbox process error", { kind: options.kind, error });
    });
    if (this.#control === undefined) {
      this.#ready = true;
      resolveReady();
    }
    // What the sandbox prints while it is set up says why it failed; after that, stderr is the
    // program's, left paused for its reader.
    const setupOutput: Buffer[] = [];
    const collectSetupOutput = (chunk: Buffer) => {
      if (setupOutput.length < 64) setupOutput.push(chunk);
    };
    if (this.#control !== undefined) child.stderr?.on("data", collectSetupOutput);
    this.#control?.on("error", (error) => options.logger.debug("sandbox control socket error", { error }));
    this.#control?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1");
      if (text.includes(LAUNCHER_READY) && !this.#ready) {
        this.#ready = true;
        child.stderr?.off("data", collectSetupOutput);
        child.stderr?.pause();
        resolveReady();
      }
      if (text.includes(LAUNCHER_NOT_FOUND)) this.#notFound = true;
    });
    let exitedFallback: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
    this.exited = new Promise((resolve) => {
      exitedFallback = resolve;
      child.on("exit", (code: number | null, signal: NodeJS.Signals | null) => {
        this.#exited = true;
        resolve({ code, signal });
      });
    });
    this.closed = new Promise((resolve) => {
      child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
        this.#exited = true;
        // A child that never started emits no "exit"; its close ends `exited` too.
        exitedFallback({ code, signal });
        if (!this.#ready) {
          const spawnError = this.#spawnError;
          const errno = (spawnError as { code?: unknown } | undefined)?.code;
          const reason =
            errno === "ENOENT"
              ? "its program was not found"
              : spawnError !== undefined
                ? `it could not be started (${(spawnError as Error).message})`
                : `it exited during setup (${signal ?? `exit code ${code}`}): ${
                    Buffer.concat(setupOutput).toString("utf8").trim() || "no message"
                  }`;
          rejectReady(options.setupFailure(reason, spawnError));
        }
        resolve({ code, signal });
      });
    });
  }

  get stdout(): Readable {
    return this.child.stdout as Readable;
  }

  get stderr(): Readable {
    return this.child.stderr as Readable;
  }

  /** True once the process has exited (or was never started). */
  get ended(): boolean {
    return this.#exited || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Sends the launcher its command line (once). */
  start(file: string, line: string): void {
    if (this.#started) throw new KernelError(CoreErrorCode.internal, "a prepared sandbox runs one command only");
    this.#started = true;
    this.#file = file;
    this.#control?.write(line);
  }

  /** Keeps or stops the process holding the kernel's event loop open (spares do not). */
  hold(held: boolean): void {
    for (const handle of [this.child, this.child.stdout, this.child.stderr, this.#control] as Array<{
      ref?: () => void;
      unref?: () => void;
    } | null>) {
      if (held) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  /** Kills the sandbox's process group at once (a spare that is no longer wanted). */
  kill(): void {
    if (this.pid < 0 || this.ended) return;
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ESRCH") throw error;
    }
  }

  startFailure(): KernelError | undefined {
    const details = { file: this.#file, sandbox: this.#options.kind };
    const notFound = () =>
      new KernelError(ToolErrorCode.execFailed, `${this.#file} was not found on PATH (${this.#options.searchPath})`, {
        details,
      });
    if (this.#notFound) return notFound();
    if (this.#control !== undefined || this.#spawnError === undefined || this.child.pid !== undefined) return undefined;
    if ((this.#spawnError as { code?: unknown }).code === "ENOENT") return notFound();
    return new KernelError(
      ToolErrorCode.execFailed,
      `could not start ${this.#file}: ${(this.#spawnError as Error).message}`,
      { cause: this.#spawnError, details },
    );
  }
}
