/** Response descriptions the routes share in the OpenAPI document. */

import { z } from "@hono/zod-openapi";
import { BODY_LIMIT_BYTES, JSON_MAX_DEPTH, JSON_MAX_VALUES } from "./body-guard.ts";
import { ErrorSchema } from "./schemas.ts";

export const errors = {
  400: {
    description: `Malformed JSON (JSON_MALFORMED), nested deeper than ${JSON_MAX_DEPTH} (JSON_TOO_DEEP) or more than ${JSON_MAX_VALUES} values (JSON_TOO_MANY_VALUES), or a body sent without Content-Type: application/json (BODY_NOT_JSON)`,
    content: { "application/json": { schema: ErrorSchema } },
  },
  401: { description: "Missing or wrong token", content: { "application/json": { schema: ErrorSchema } } },
  404: { description: "Not found", content: { "application/json": { schema: ErrorSchema } } },
  413: {
    description: `Body larger than ${BODY_LIMIT_BYTES / (1024 * 1024)} MiB (BODY_TOO_LARGE)`,
    content: { "application/json": { schema: ErrorSchema } },
  },
  422: { description: "Wrong types (the field is named)", content: { "application/json": { schema: ErrorSchema } } },
  429: {
    description: "Over the per-token rate (RATE_LIMITED)",
    content: { "application/json": { schema: ErrorSchema } },
  },
  /** `POST /api/runs` when the database did not take the run's first write. */
  runRefused: {
    description:
      "Not accepted, nothing was stored; send it again later: the disk is full (DATABASE_FULL), another process held the database's write lock past the busy timeout (DATABASE_BUSY), or the served database cannot be reached (DATABASE_UNAVAILABLE)",
    content: { "application/json": { schema: ErrorSchema } },
  },
} as const;

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export const sse = { description: "Server-sent events", content: { "text/event-stream": { schema: z.string() } } };
