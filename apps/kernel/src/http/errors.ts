/**
 * JSON errors `{error: {code, message}}` and their HTTP status. The status comes from the
 * code's kind, declared with the code in its package's `error-codes.ts`, through the one table
 * below; an undeclared code is `internal` (500).
 */

import { CoreErrorCode, type ErrorKind, errorKindOf, KernelError } from "@oxios/core";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** The HTTP status of every error kind. */
export const STATUS_BY_KIND = {
  invalid: 422,
  malformed: 400,
  unauthenticated: 401,
  denied: 403,
  "not-found": 404,
  conflict: 409,
  aborted: 409,
  "too-large": 413,
  "rate-limited": 429,
  internal: 500,
  upstream: 502,
  unavailable: 503,
  timeout: 504,
} as const satisfies Record<ErrorKind, ContentfulStatusCode>;

/** The status of `code`, from its declared kind. */
export function statusOfCode(code: string): ContentfulStatusCode {
  return STATUS_BY_KIND[errorKindOf(code)];
}

/**
 * The status of `error`. Looked up by code rather than read from `error.kind`, so an error
 * built by an older copy of `@oxios/core` (without `kind`) still gets its status.
 */
export function statusOf(error: KernelError): ContentfulStatusCode {
  return statusOfCode(error.code);
}

export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return { error: { code, message, ...(field === undefined ? {} : { field }) } };
}

/** The JSON error response for `code`, with the status of its kind. */
export function errorResponse(c: Context, code: string, message: string, field?: string): Response {
  return c.json(errorBody(code, message, field), statusOfCode(code));
}

export function toKernelError(error: unknown): KernelError {
  return KernelError.from(error, CoreErrorCode.internal);
}
