/**
 * ShutdownSequence: the daemon's ordered shutdown. Hooks run one at a time in the order they
 * were added (the kernel adds: stop intake → drain scheduler → stop agents → flush memory →
 * flush audit → flush git → close databases → remove pid file). Each hook has its own
 * timeout; a hook that throws or times out is recorded and the sequence goes on, because a
 * stuck scheduler must not keep the audit trail from being flushed. The result is a report
 * with every step's outcome and duration, and every step is logged.
 */

import { type Clock, CoreErrorCode, KernelError, type Logger, systemClock } from "@oxios/core";
import { DaemonErrorCode } from "./error-codes.ts";

/** A shutdown step. `signal` aborts (code `TIMED_OUT`) when the step's timeout passes. */
export type ShutdownHook = (signal: AbortSignal) => Promise<void> | void;

export interface ShutdownHookOptions {
  /** How long the step may take before it is recorded as timed out; default the sequence's. */
  readonly timeoutMs?: number;
}

export type ShutdownStepStatus = "ok" | "failed" | "timed-out";

export interface ShutdownStepReport {
  readonly name: string;
  readonly status: ShutdownStepStatus;
  readonly durationMs: number;
  readonly timeoutMs: number;
  /** Set when the step failed or timed out. */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface ShutdownReport {
  /** True when every step finished ok. */
  readonly ok: boolean;
  /** Why the shutdown ran (a signal name, "stop", …). */
  readonly reason: string;
  readonly steps: readonly ShutdownStepReport[];
  readonly durationMs: number;
}

export interface ShutdownSequenceOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Timeout for hooks added without one; default 10 s. */
  readonly defaultTimeoutMs?: number;
}

interface RegisteredHook {
  readonly name: string;
  readonly hook: ShutdownHook;
  readonly timeoutMs: number;
}

function checkTimeout(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new KernelError(DaemonErrorCode.optionsInvalid, `${what} must be a positive number of milliseconds`, {
      details: { value },
    });
  }
  return value;
}

/**
 * The ordered shutdown: see the module comment. The constructor throws
 * `DAEMON_OPTIONS_INVALID` for a `defaultTimeoutMs` that is not a positive number.
 */
export class ShutdownSequence {
  readonly #hooks: RegisteredHook[] = [];
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #defaultTimeoutMs: number;
  #running: Promise<ShutdownReport> | undefined;
  /** Steps that outlived their timeout, by name, each until its late end is logged. */
  readonly #late = new Map<string, Promise<void>>();

  constructor(options: ShutdownSequenceOptions) {
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#defaultTimeoutMs = checkTimeout(options.defaultTimeoutMs ?? 10_000, "defaultTimeoutMs");
  }

  /** True once `run` was called. */
  get started(): boolean {
    return this.#running !== undefined;
  }

  /** Names of the registered steps, in the order they will run. */
  get steps(): readonly string[] {
    return this.#hooks.map((hook) => hook.name);
  }

  /**
   * Appends a step. Names are unique; nothing can be added once the sequence has started.
   *
   * Throws: `DAEMON_SHUTDOWN_HOOK_INVALID` once `run` was called or for an empty or taken name;
   * `DAEMON_OPTIONS_INVALID` for a `timeoutMs` that is not a positive number.
   * Abort: takes no signal (synchronous).
   */
  add(name: string, hook: ShutdownHook, options: ShutdownHookOptions = {}): this {
    if (this.#running !== undefined) {
      throw new KernelError(DaemonErrorCode.shutdownHookInvalid, `cannot add "${name}": shutdown already started`, {
        details: { name },
      });
    }
    if (name.trim() === "" || this.#hooks.some((existing) => existing.name === name)) {
      throw new KernelError(DaemonErrorCode.shutdownHookInvalid, `shutdown step name "${name}" is empty or taken`, {
        details: { name },
      });
    }
    const timeoutMs = checkTimeout(options.timeoutMs ?? this.#defaultTimeoutMs, `timeout of "${name}"`);
    this.#hooks.push({ name, hook, timeoutMs });
    return this;
  }

  /**
   * Runs every step once, in order. Later calls return the same report.
   *
   * Throws: nothing; a failed step is in the report with its KernelError's code (a non-Kernel
   * error as `DAEMON_SHUTDOWN_STEP_FAILED`), a timed-out one with `TIMED_OUT`.
   * Abort: takes no signal; a step's own signal aborts with `TIMED_OUT` when its timeout
   * passes, and the sequence goes on without waiting for that step (`settled()` joins it).
   */
  run(reason = "shutdown"): Promise<ShutdownReport> {
    this.#running ??= this.#runAll(reason);
    return this.#running;
  }

  /**
   * Resolves once `run` has finished and every step that outlived its timeout has ended and
   * been logged: `run` does not wait for those, whoever owns the process joins them here
   * before it exits. With `timeoutMs` the join is bounded: it resolves once that long has
   * passed after `run` finished, with the names of the steps still running (empty when all
   * ended); without it a step that never ends keeps this pending.
   *
   * Throws: `DAEMON_OPTIONS_INVALID` for a `timeoutMs` that is not a positive number; a
   * rejection of the logger's `warn` for a late step.
   * Abort: takes no signal; the late steps were aborted with `TIMED_OUT` at their timeout.
   */
  async settled(options: { readonly timeoutMs?: number } = {}): Promise<readonly string[]> {
    const timeoutMs = options.timeoutMs === undefined ? undefined : checkTimeout(options.timeoutMs, "timeoutMs");
    if (this.#running !== undefined) await this.#running;
    const ended = Promise.all(this.#late.values());
    if (timeoutMs === undefined) {
      await ended;
      return [];
    }
    let timer: { cancel(): void } | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = this.#clock.setTimer(resolve, timeoutMs);
    });
    try {
      await Promise.race([ended, expired]);
    } finally {
      timer?.cancel();
    }
    return [...this.#late.keys()];
  }

  async #runAll(reason: string): Promise<ShutdownReport> {
    const started = this.#clock.now();
    this.#logger.info("shutdown started", { reason, steps: this.steps });
    const steps: ShutdownStepReport[] = [];
    for (const hook of this.#hooks) steps.push(await this.#runStep(hook));
    const report: ShutdownReport = {
      ok: steps.every((step) => step.status === "ok"),
      reason,
      steps,
      durationMs: this.#clock.now() - started,
    };
    const failed = steps.filter((step) => step.status !== "ok").map((step) => step.name);
    if (report.ok) this.#logger.info("shutdown complete", { reason, durationMs: report.durationMs });
    else this.#logger.error("shutdown complete with failures", { reason, durationMs: report.durationMs, failed });
    return report;
  }

  async #runStep({ name, hook, timeoutMs }: RegisteredHook): Promise<ShutdownStepReport> {
    const started = this.#clock.now();
    this.#logger.info("shutdown step started", { step: name, timeoutMs });
    const controller = new AbortController();
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<"timed-out">((resolve) => {
      timer = this.#clock.setTimer(() => resolve("timed-out"), timeoutMs);
    });
    // Promise.resolve().then turns a synchronous throw into a rejection like an async one.
    const work = Promise.resolve()
      .then(() => hook(controller.signal))
      .then(
        () => ({ status: "ok" as const }),
        (error: unknown) => ({
          status: "failed" as const,
          error: KernelError.from(error, DaemonErrorCode.shutdownStepFailed),
        }),
      );
    const outcome = await Promise.race([work, timedOut]);
    timer?.cancel();
    const durationMs = this.#clock.now() - started;
    if (outcome === "timed-out") {
      const error = new KernelError(CoreErrorCode.timedOut, `shutdown step "${name}" timed out after ${timeoutMs} ms`, {
        details: { step: name, timeoutMs },
      });
      controller.abort(error);
      // The hook keeps running after its timeout; its end is still logged, and `settled()` joins it.
      this.#late.set(
        name,
        work
          .then((late) =>
            this.#logger.warn("shutdown step finished after its timeout", {
              step: name,
              status: late.status,
              ...(late.status === "failed" ? { error: late.error } : {}),
            }),
          )
          .finally(() => this.#late.delete(name)),
      );
      this.#logger.error("shutdown step timed out", { step: name, timeoutMs, durationMs });
      return { name, status: "timed-out", durationMs, timeoutMs, error: { code: error.code, message: error.message } };
    }
    if (outcome.status === "failed") {
      this.#logger.error("shutdown step failed", { step: name, durationMs, error: outcome.error });
      return {
        name,
        status: "failed",
        durationMs,
        timeoutMs,
        error: { code: outcome.error.code, message: outcome.error.message },
      };
    }
    this.#logger.info("shutdown step done", { step: name, durationMs });
    return { name, status: "ok", durationMs, timeoutMs };
  }
}
