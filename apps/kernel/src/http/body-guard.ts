/**
 * The request-body guard of the authenticated routes: it reads the body as it arrives and
 * refuses it, without waiting for the rest, as soon as it is over the size limit (413
 * `BODY_TOO_LARGE`, at once when `content-length` says so), nested deeper than `maxDepth`
 * (400 `JSON_TOO_DEEP`) or holding more than `maxValues` array elements and object members
 * (400 `JSON_TOO_MANY_VALUES`). Only a body within all three limits reaches `JSON.parse`, so
 * what a request can cost the event loop is bounded by its size: a byte scan, then a parse of
 * a shallow document with few values.
 *
 * A refused body is not read further; the HTTP server drains or drops the rest after the
 * response. An accepted body is handed on as the request's new body (already in memory).
 */

import type { Context, MiddlewareHandler } from "hono";
import { KernelErrorCode } from "../error-codes.ts";
import { errorResponse } from "./errors.ts";
import { JsonShapeScanner } from "./json-shape.ts";

/** Largest request body of the kernel's API, in bytes. */
export const BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Deepest JSON nesting a request body may have. */
export const JSON_MAX_DEPTH = 64;
/** Most array elements plus object members a request body may have. */
export const JSON_MAX_VALUES = 10_000;

export interface BodyGuardLimits {
  maxBytes: number;
  maxDepth: number;
  maxValues: number;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

export function bodyGuard(limits: BodyGuardLimits): MiddlewareHandler {
  const tooLarge = (c: Context) =>
    errorResponse(c, KernelErrorCode.bodyTooLarge, `request bodies are limited to ${limits.maxBytes} bytes`);
  return async (c, next) => {
    const stream = c.req.raw.body;
    if (stream === null) return next();
    const declared = Number(c.req.header("content-length") ?? Number.NaN);
    if (declared > limits.maxBytes) return tooLarge(c);
    const scanner = new JsonShapeScanner(limits);
    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > limits.maxBytes) return tooLarge(c);
        const refusal = scanner.push(value);
        if (refusal === "too-deep") {
          return errorResponse(
            c,
            KernelErrorCode.jsonTooDeep,
            `JSON nested deeper than ${limits.maxDepth} levels is refused`,
          );
        }
        if (refusal === "too-many-values") {
          return errorResponse(
            c,
            KernelErrorCode.jsonTooManyValues,
            `JSON with more than ${limits.maxValues} array elements and object members is refused`,
          );
        }
        chunks.push(value);
      }
    } finally {
      reader.releaseLock();
    }
    c.req.raw = new Request(c.req.raw, { body: concat(chunks, size) });
    return next();
  };
}
