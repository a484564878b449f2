/**
 * A circuit breaker per provider that really blocks calls (upstream's recorded failures
 * but never refused a call).
 *
 * closed → after `failureThreshold` consecutive failures → open: every call fails fast
 * with `PROVIDER_CIRCUIT_OPEN` for `openMs` on the injected Clock → half-open: exactly one
 * probe call is let through (others still fail fast); its success closes the circuit, its
 * failure opens it for another `openMs`.
 */

import { type Clock, KernelError } from "@oxios/core";

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  clock: Clock;
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe is allowed. Default 30 000 ms. */
  openMs?: number;
  /** Name used in errors (the provider). */
  name?: string;
}

export class CircuitBreaker {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #name: string;
  #state: CircuitState = "closed";
  #failures = 0;
  #openedAt = 0;
  #probeInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    this.#clock = options.clock;
    this.#threshold = options.failureThreshold ?? 5;
    this.#openMs = options.openMs ?? 30_000;
    this.#name = options.name ?? "provider";
  }

  /** The state as of now (an open circuit whose time is up reads as half-open). */
  get state(): CircuitState {
    if (this.#state === "open" && this.#clock.now() - this.#openedAt >= this.#openMs) return "half-open";
    return this.#state;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /**
   * Runs `call` through the breaker. Throws `PROVIDER_CIRCUIT_OPEN` without calling when
   * the circuit is open, or half-open with the probe already out. `isFailure` decides
   * which errors count (an abort by the caller is not the provider's fault).
   */
  async run<T>(call: () => Promise<T>, isFailure: (error: unknown) => boolean = () => true): Promise<T> {
    const probe = this.#admit();
    try {
      const value = await call();
      this.#onSuccess();
      return value;
    } catch (error) {
      if (isFailure(error)) this.#onFailure();
      else if (probe) this.#probeInFlight = false;
      throw error;
    }
  }

  /** Admission is synchronous, so two concurrent calls can never both become the probe. */
  #admit(): boolean {
    const state = this.state;
    if (state === "closed") return false;
    if (state === "half-open" && !this.#probeInFlight) {
      this.#state = "half-open";
      this.#probeInFlight = true;
      return true;
    }
    const retryInMs = Math.max(0, this.#openedAt + this.#openMs - this.#clock.now());
    throw new KernelError(
      "PROVIDER_CIRCUIT_OPEN",
      `circuit for ${this.#name} is open after ${this.#failures} consecutive failures; retry in ${retryInMs} ms`,
      { details: { provider: this.#name, retryInMs, state } },
    );
  }

  #onSuccess(): void {
    this.#state = "closed";
    this.#failures = 0;
    this.#probeInFlight = false;
  }

  #onFailure(): void {
    this.#failures++;
    if (this.#state === "half-open" || this.#failures >= this.#threshold) {
      this.#state = "open";
      this.#openedAt = this.#clock.now();
    }
    this.#probeInFlight = false;
  }
}

/** One breaker per provider key, created on first use. */
export class CircuitBreakers {
  readonly #options: Omit<CircuitBreakerOptions, "name">;
  readonly #breakers = new Map<string, CircuitBreaker>();

  constructor(options: Omit<CircuitBreakerOptions, "name">) {
    this.#options = options;
  }

  for(provider: string): CircuitBreaker {
    let breaker = this.#breakers.get(provider);
    if (breaker === undefined) {
      breaker = new CircuitBreaker({ ...this.#options, name: provider });
      this.#breakers.set(provider, breaker);
    }
    return breaker;
  }
}
