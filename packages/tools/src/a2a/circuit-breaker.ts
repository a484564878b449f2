/**
 * A circuit breaker for one remote agent: after `failureThreshold` consecutive failures it
 * opens and refuses calls for `openMs` (on the injected Clock); then it half-opens and lets a
 * single probe through — success closes it, failure opens it again.
 */

import type { Clock } from "@oxios/core";

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  clock: Clock;
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before a probe. Default 30 s. */
  openMs?: number;
}

export class CircuitBreaker {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #openMs: number;
  #failures = 0;
  #openedAt: number | undefined;
  #probing = false;

  constructor(options: CircuitBreakerOptions) {
    this.#clock = options.clock;
    this.#threshold = options.failureThreshold ?? 5;
    this.#openMs = options.openMs ?? 30_000;
  }

  get state(): CircuitState {
    if (this.#openedAt === undefined) return "closed";
    return this.#clock.now() - this.#openedAt >= this.#openMs ? "half-open" : "open";
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** When the circuit may next be tried (Clock ms), while open. */
  get retryAt(): number | undefined {
    return this.#openedAt === undefined ? undefined : this.#openedAt + this.#openMs;
  }

  /**
   * Whether a call may go ahead now. In half-open only one probe is admitted at a time;
   * the caller must report its outcome with `success()` or `failure()`.
   */
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

  /** Releases a half-open probe whose call ended without a verdict (it was aborted). */
  release(): void {
    this.#probing = false;
  }
}
