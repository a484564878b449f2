/** A per-token request limit for the HTTP API: a token bucket per token, on the Clock. */

import type { Clock } from "@oxios/core";
import { TokenBucket } from "@oxios/scheduler";
import type { MiddlewareHandler } from "hono";
import { KernelErrorCode } from "../error-codes.ts";
import { presentedToken } from "./auth.ts";
import { errorResponse } from "./errors.ts";

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

/**
 * Answers 429 `RATE_LIMITED` once the presented token is over its rate. Runs after
 * `requireToken`, so only a valid token has a bucket.
 */
export function rateLimit(limiter: RateLimiter): MiddlewareHandler {
  return async (c, next) => {
    if (!limiter.take(presentedToken(c))) {
      return errorResponse(c, KernelErrorCode.rateLimited, `more than ${limiter.perMinute} requests per minute`);
    }
    await next();
  };
}
