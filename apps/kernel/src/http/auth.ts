/**
 * Bearer-token authentication and the per-token rate limit of the secured routes (`/api/*`,
 * `/metrics`, `/a2a`): a request without the API token is answered 401 `UNAUTHORIZED` before
 * anything else reads it, then one over its token's rate 429 `RATE_LIMITED`. The LLM provider
 * key is never accepted as a token (`tokenChecker`). Both checks are one middleware, so a
 * request's `Authorization` header is read once and the token's bytes are made once, at start.
 */

import type { Context, MiddlewareHandler } from "hono";
import { KernelErrorCode } from "../error-codes.ts";
import { tokenChecker } from "../token.ts";
import { errorResponse } from "./errors.ts";
import type { RateLimiter } from "./rate-limit.ts";

export interface AuthOptions {
  /** The API token in force. */
  token: string;
  /** The LLM provider key, refused even when it equals the presented token. */
  llmApiKey: string | undefined;
  /** The per-token request limit; only a valid token takes from it. */
  limiter: RateLimiter;
}

/** The token of the `Authorization: Bearer <token>` header, or "" without one. */
export function presentedToken(c: Context): string {
  const header = c.req.header("authorization") ?? "";
  return header.startsWith("Bearer ") ? header.slice(7).trim() : "";
}

export function requireToken(options: AuthOptions): MiddlewareHandler {
  const { limiter } = options;
  const matches = tokenChecker(options.token, options.llmApiKey);
  return async (c, next) => {
    const presented = presentedToken(c);
    if (presented === "" || !matches(presented)) {
      return errorResponse(
        c,
        KernelErrorCode.unauthorized,
        "a valid `Authorization: Bearer <token>` header is required",
      );
    }
    if (!limiter.take(presented)) {
      return errorResponse(c, KernelErrorCode.rateLimited, `more than ${limiter.perMinute} requests per minute`);
    }
    await next();
  };
}
