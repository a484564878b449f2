/**
 * The one way to make an (OpenAPI) Hono app for the kernel's API, so the root app and every
 * sub-app under `routes/` answer a request that fails its schema the same way: 422
 * `BODY_INVALID` naming the field — also where a route checks a part of the request itself
 * (`refuseInvalid` in a middleware, `InvalidRequest` thrown from a handler).
 */

import { OpenAPIHono, type z } from "@hono/zod-openapi";
import { KernelError } from "@oxios/core";
import type { Context } from "hono";
import { KernelErrorCode } from "../error-codes.ts";
import { errorResponse } from "./errors.ts";

/** The field a failed schema check names, and its message. */
function invalidField(error: z.ZodError, target: string): { field: string; message: string } {
  const issue = error.issues[0];
  const field = issue?.path.join(".") || target;
  return { field, message: `${field}: ${issue?.message ?? "invalid"}` };
}

/** The 422 answer to a request whose `target` (`json`, `query`, `param`, `header`) failed its schema. */
export function refuseInvalid(c: Context, error: z.ZodError, target: string): Response {
  const { field, message } = invalidField(error, target);
  return errorResponse(c, KernelErrorCode.bodyInvalid, message, field);
}

/** The same answer as `refuseInvalid`, as an error a handler throws (`app.ts` answers it). */
export function invalidRequest(error: z.ZodError, target: string): KernelError {
  const { field, message } = invalidField(error, target);
  return new KernelError(KernelErrorCode.bodyInvalid, message, { details: { field } });
}

export function createRouter(): OpenAPIHono {
  return new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return;
      return refuseInvalid(c, result.error, result.target);
    },
  });
}
