/**
 * Spare sandboxes, set up before they are needed. Setting up a sandbox (namespaces, mounts)
 * costs several times what running `true` costs; an agent that runs one program usually runs
 * another a model turn later, in the same workspace under the same policy. So when a call that
 * took a sandbox for a policy is over, one spare for that policy is started and waits, fully
 * set up, in its launcher (see `launcher.ts`) until the next call takes it.
 *
 * A spare is used at most once, so calls never share a sandbox. Spares hold nothing open for
 * the kernel (their handles are unref'd), end after `idleMs` unused, are capped at
 * `maxSpares` (the oldest is ended first), and `close()` ends them all; they also die with the
 * kernel process (`--die-with-parent`).
 */

import { abortError, type Clock, type Logger, type Timer } from "@oxios/core";
import type { SandboxPolicy } from "./sandbox.ts";
import type { SandboxChild } from "./sandbox-child.ts";

export interface WarmPoolOptions {
  /** Starts a sandbox for `policy` (not yet ready). */
  spawn: (policy: SandboxPolicy) => SandboxChild;
  /** Spares kept at most, over all policies. 0 turns spares off. */
  maxSpares: number;
  /** A spare unused this long is ended. */
  idleMs: number;
  clock: Clock;
  logger: Logger;
}

interface Spare {
  child: SandboxChild;
  timer: Timer;
}

/** The key spares are kept under: everything of the policy that shapes the sandbox. */
export function policyKey(policy: SandboxPolicy): string {
  return JSON.stringify([policy.workspace, policy.network, Object.entries(policy.env).sort(), policy.limits]);
}

export class WarmPool {
  readonly #options: WarmPoolOptions;
  /** In insertion order, so the first entry is the oldest spare. */
  readonly #spares = new Map<string, Spare>();
  #closed = false;

  constructor(options: WarmPoolOptions) {
    this.#options = options;
  }

  /** Spares waiting right now. */
  get size(): number {
    return this.#spares.size;
  }

  /**
   * A sandbox for `policy` that is ready for its command: the spare if one waits, else a new
   * one; either way a spare for the next call is started.
   *
   * Throws: whatever error the sandbox's setup failure maps to (its `ready` rejection).
   * Abort: rejects with the signal's error and ends the sandbox it was waiting for.
   */
  async take(policy: SandboxPolicy, signal: AbortSignal): Promise<SandboxChild> {
    if (signal.aborted) throw abortError(signal);
    const key = policyKey(policy);
    const spare = this.#spares.get(key);
    if (spare !== undefined) {
      this.#spares.delete(key);
      spare.timer.cancel();
    }
    let child = spare?.child;
    if (child === undefined || child.ended) {
      if (child !== undefined) this.#options.logger.debug("spare sandbox had ended; starting another", { key });
      child = this.#options.spawn(policy);
    }
    child.hold(true);
    const taken = child;
    const onAbort = () => taken.kill();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await taken.ready;
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (signal.aborted) {
      taken.kill();
      throw abortError(signal);
    }
    // The next call's spare is set up once this one is over, so it does not slow this call
    // down (spawning blocks the event loop for a moment) and is ready a model turn later.
    taken.child.once("close", () => this.#addSpare(key, policy));
    return taken;
  }

  /** Ends every spare; no new spares are started afterwards. */
  close(): void {
    this.#closed = true;
    for (const spare of this.#spares.values()) {
      spare.timer.cancel();
      spare.child.kill();
    }
    this.#spares.clear();
  }

  #addSpare(key: string, policy: SandboxPolicy): void {
    const { maxSpares, idleMs, clock, logger } = this.#options;
    if (this.#closed || maxSpares <= 0 || this.#spares.has(key)) return;
    while (this.#spares.size >= maxSpares) {
      const [oldestKey, oldest] = this.#spares.entries().next().value as [string, Spare];
      this.#spares.delete(oldestKey);
      oldest.timer.cancel();
      oldest.child.kill();
    }
    let child: SandboxChild;
    try {
      child = this.#options.spawn(policy);
    } catch (error) {
      // A spare is an optimization: the next call sets up its sandbox itself (and reports why not).
      logger.warn("could not start a spare sandbox", { error });
      return;
    }
    child.hold(false);
    const timer = clock.setTimer(() => {
      if (this.#spares.get(key)?.child !== child) return;
      this.#spares.delete(key);
      logger.debug("ending an idle spare sandbox", { pid: child.pid });
      child.kill();
    }, idleMs);
    this.#spares.set(key, { child, timer });
    // A spare that dies while it waits (killed from outside) is dropped at once.
    child.child.once("exit", () => {
      if (this.#spares.get(key)?.child !== child) return;
      this.#spares.delete(key);
      timer.cancel();
      logger.debug("a spare sandbox ended while waiting", { pid: child.pid });
    });
  }
}
