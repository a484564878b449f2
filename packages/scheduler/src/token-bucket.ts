/**
 * TokenBucket: the per-rate-key rate limit. Capacity is one minute's worth of tokens
 * (`ratePerMinute`), it starts full and refills continuously on the injected clock's time.
 *
 * Tokens are counted in integer units of 1/60000 token, so with integer millisecond clocks
 * the arithmetic is exact: after `60000 / rate` ms exactly one more token is available, never
 * a rounding error earlier or later ("exact to the token").
 */

const unitsPerToken = 60_000;

export class TokenBucket {
  readonly ratePerMinute: number;
  readonly #capacity: number;
  #units: number;
  #updatedAt: number;

  constructor(ratePerMinute: number, now: number) {
    this.ratePerMinute = ratePerMinute;
    this.#capacity = ratePerMinute * unitsPerToken;
    this.#units = this.#capacity;
    this.#updatedAt = now;
  }

  #refill(now: number): void {
    if (now <= this.#updatedAt) return;
    // elapsed ms × tokens/min = units (1/60000 token) gained.
    this.#units = Math.min(this.#capacity, this.#units + (now - this.#updatedAt) * this.ratePerMinute);
    this.#updatedAt = now;
  }

  /** Whole tokens available at `now`. */
  available(now: number): number {
    this.#refill(now);
    return Math.floor(this.#units / unitsPerToken);
  }

  /** Takes one token if there is one; returns whether it did. */
  tryTake(now: number): boolean {
    this.#refill(now);
    if (this.#units < unitsPerToken) return false;
    this.#units -= unitsPerToken;
    return true;
  }

  /** Milliseconds from `now` until one whole token is available (0 when one is). */
  msUntilToken(now: number): number {
    this.#refill(now);
    const missing = unitsPerToken - this.#units;
    return missing <= 0 ? 0 : Math.ceil(missing / this.ratePerMinute);
  }
}
