/**
 * A circuit breaker that really blocks calls.
 *
 * closed → after `failureThreshold` consecutive failures → open: every call fails fast with
 * a KernelError (`openErrorCode`) for `openMs` on the injected Clock → half-open: exactly one
 * probe is let through (others still fail fast); its success closes the circuit, its failure
 * opens it for another `openMs`. Admission is synchronous, so two concurrent calls can never
 * both become the probe.
 *
 * `run` is the usual way in. Callers that wrap the breaker around retries of their own use
 * the steps: `tryAcquire()`, then `success()`, `failure()` or `release()` (no verdict, e.g.
 * the caller aborted).
 */

import type { Clock } from "./clock.ts";
import { CoreErrorCode } from "./error-codes.ts";
import { KernelError } from "./errors.ts";

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  clock: Clock;
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe is allowed. Default 30 000 ms. */
  openMs?: number;
  /** What the circuit guards (a provider, a remote agent), named in errors. */
  name?: string;
  /** The code of the error thrown while the circuit is open. Default `CIRCUIT_OPEN`. */
  openErrorCode?: string;
}

/**
 * See the module comment. The constructor throws `CIRCUIT_INVALID` for a `failureThreshold`
 * below 1 or an `openMs` not above 0; the step methods (`tryAcquire`, `success`, `failure`,
 * `release`, `openError`) and the getters throw nothing and take no signal.
 */
export class CircuitBreaker {
  readonly name: string;
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #openErrorCode: string;
  #failures = 0;
  #openedAt: number | undefined;
  #probing = false;

  constructor(options: CircuitBreakerOptions) {
    this.#clock = options.clock;
    this.#threshold = options.failureThreshold ?? 5;
    this.#openMs = options.openMs ?? 30_000;
    this.#openErrorCode = options.openErrorCode ?? CoreErrorCode.circuitOpen;
    this.name = options.name ?? "circuit";
    if (!Number.isInteger(this.#threshold) || this.#threshold < 1 || !(this.#openMs > 0)) {
      throw new KernelError(
        CoreErrorCode.circuitInvalid,
        `circuit ${this.name}: failureThreshold must be ≥ 1 and openMs > 0`,
      );
    }
  }

  /** The state as of now (an open circuit whose time is up reads as half-open). */
  get state(): CircuitState {
    if (this.#openedAt === undefined) return "closed";
    return this.#clock.now() - this.#openedAt >= this.#openMs ? "half-open" : "open";
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** When the circuit may next be tried (Clock ms), while it is open. */
  get retryAt(): number | undefined {
    return this.#openedAt === undefined ? undefined : this.#openedAt + this.#openMs;
  }

  /** Whether a call may go ahead now; in half-open only one probe at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.#probing) return false;
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#probing = false;
  }

  failure(): void {
    this.#failures += 1;
    if (this.#probing || this.#failures >= this.#threshold) this.#openedAt = this.#clock.now();
    this.#probing = false;
  }

  /** Ends a probe that produced no verdict, so the next call may probe. */
  release(): void {
    this.#probing = false;
  }

  /** The error a refused call gets. */
  openError(): KernelError {
    const retryInMs = Math.max(0, (this.retryAt ?? this.#clock.now()) - this.#clock.now());
    return new KernelError(
      this.#openErrorCode,
      `circuit for ${this.name} is open after ${this.#failures} consecutive failures; retry in ${retryInMs} ms`,
      { details: { circuit: this.name, retryInMs, state: this.state } },
    );
  }

  /**
   * Runs `call` through the breaker: refused with `openError()` while open. `isFailure`
   * decides which errors count against the circuit (an abort by the caller does not).
   *
   * Throws: `openError()` (`CIRCUIT_OPEN`, or the configured `openErrorCode`) while open or
   * while another probe runs, without calling `call`; otherwise `call`'s error unchanged. If
   * `isFailure` itself throws, that counts as a failure (a half-open probe ends and the circuit
   * opens again) and `isFailure`'s error reaches the caller instead.
   * Abort: takes no signal; `call` watches its own, and `isFailure` decides whether its abort
   * error counts as a failure (when not, a half-open probe is released).
   */
  async run<T>(call: () => Promise<T>, isFailure: (error: unknown) => boolean = () => true): Promise<T> {
    if (!this.tryAcquire()) throw this.openError();
    try {
      const value = await call();
      this.success();
      return value;
    } catch (error) {
      // A throwing `isFailure` is a failure verdict: the breaker always leaves the probe state.
      let failed = true;
      try {
        failed = isFailure(error);
      } finally {
        if (failed) this.failure();
        else this.release();
      }
      throw error;
    }
  }
}
