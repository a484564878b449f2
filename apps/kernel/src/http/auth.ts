/**
 * Bearer-token authentication of the secured routes (`/api/*`, `/metrics`, `/a2a`): a request
 * without the API token is answered 401 `UNAUTHORIZED` before anything else reads it. The LLM
 * provider key is never accepted as a token (`tokenMatches`).
 */

import type { Context, MiddlewareHandler } from "hono";
import { KernelErrorCode } from "../error-codes.ts";
import { tokenMatches } from "../token.ts";
import { errorResponse } from "./errors.ts";

export interface AuthOptions {
  /** The API token in force. */
  token: string;
  /** The LLM provider key, refused even when it equals the presented token. */
  llmApiKey: string | undefined;
}

/** The token of the `Authorization: Bearer <token>` header, or "" without one. */
export function presentedToken(c: Context): string {
  const header = c.req.header("authorization") ?? "";
  return header.startsWith("Bearer ") ? header.slice(7).trim() : "";
}

export function requireToken(options: AuthOptions): MiddlewareHandler {
  const { token, llmApiKey } = options;
  return async (c, next) => {
    const presented = presentedToken(c);
    if (presented === "" || !tokenMatches(presented, token, llmApiKey)) {
      return errorResponse(
        c,
        KernelErrorCode.unauthorized,
        "a valid `Authorization: Bearer <token>` header is required",
      );
    }
    await next();
  };
}
