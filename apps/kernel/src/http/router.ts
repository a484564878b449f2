/**
 * The one way to make an (OpenAPI) Hono app for the kernel's API, so the root app and every
 * sub-app under `routes/` answer a request that fails its schema the same way: 422
 * `BODY_INVALID` naming the field.
 */

import { OpenAPIHono } from "@hono/zod-openapi";
import { KernelErrorCode } from "../error-codes.ts";
import { errorResponse } from "./errors.ts";

export function createRouter(): OpenAPIHono {
  return new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const field = issue?.path.join(".") || result.target;
      return errorResponse(c, KernelErrorCode.bodyInvalid, `${field}: ${issue?.message ?? "invalid"}`, field);
    },
  });
}
