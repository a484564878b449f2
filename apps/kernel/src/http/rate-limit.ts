/** A per-token request limit for the HTTP API: a token bucket per token, on the Clock (checked by `requireToken`). */

import type { Clock } from "@oxios/core";
import { TokenBucket } from "@oxios/scheduler";

export class RateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #perMinute: number;
  readonly #clock: Clock;

  constructor(perMinute: number, clock: Clock) {
    this.#perMinute = perMinute;
    this.#clock = clock;
  }

  get perMinute(): number {
    return this.#perMinute;
  }

  /** True when `key` may make a request now (and takes a token). */
  take(key: string): boolean {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#perMinute, this.#clock.now());
      this.#buckets.set(key, bucket);
    }
    return bucket.tryTake(this.#clock.now());
  }
}
