/**
 * The request-body guard of the authenticated routes: it reads the body as it arrives and
 * refuses it, without waiting for the rest, as soon as it is over the size limit (413
 * `BODY_TOO_LARGE`, at once when `content-length` says so), nested deeper than `maxDepth`
 * (400 `JSON_TOO_DEEP`) or holding more than `maxValues` array elements and object members
 * (400 `JSON_TOO_MANY_VALUES`). Only a body within all three limits reaches `JSON.parse`, so
 * what a request can cost the event loop is bounded by its size: a byte scan, then a parse of
 * a shallow document with few values.
 *
 * A body whose `content-length` is at most `SMALL_BODY_BYTES` (a run's goal, a chat message:
 * nearly every request) is read in one piece straight from the connection — Node's HTTP
 * parser never delivers more than the declared length — and scanned before it is parsed; no
 * web stream and no second `Request` is built for it, which halves what a burst of small
 * POSTs costs the event loop. Other bodies are read as a stream, chunk by chunk.
 *
 * A refused body is not read further; the HTTP server drains or drops the rest after the
 * response. An accepted body is handed on in memory: as the text the route's JSON validator
 * parses (`c.req.bodyCache`), and — with `rawRequest`, for routes that hand `c.req.raw` on,
 * such as A2A — as the body of a new `Request` in place of `c.req.raw`.
 */

import type { Context, MiddlewareHandler } from "hono";
import { KernelErrorCode } from "../error-codes.ts";
import { errorResponse } from "./errors.ts";
import { type JsonShapeRefusal, JsonShapeScanner } from "./json-shape.ts";

/** Largest request body of the kernel's API, in bytes. */
export const BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Deepest JSON nesting a request body may have. */
export const JSON_MAX_DEPTH = 64;
/** Most array elements plus object members a request body may have. */
export const JSON_MAX_VALUES = 10_000;
/** Bodies declared this small or smaller are read in one piece (see the module comment). */
export const SMALL_BODY_BYTES = 64 * 1024;

export interface BodyGuardLimits {
  maxBytes: number;
  maxDepth: number;
  maxValues: number;
  /** The route reads `c.req.raw` itself: an accepted body becomes the body of a new `Request`. */
  rawRequest?: boolean;
}

const utf8 = new TextDecoder();

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
  const refused = (c: Context, refusal: JsonShapeRefusal) =>
    refusal === "too-deep"
      ? errorResponse(c, KernelErrorCode.jsonTooDeep, `JSON nested deeper than ${limits.maxDepth} levels is refused`)
      : errorResponse(
          c,
          KernelErrorCode.jsonTooManyValues,
          `JSON with more than ${limits.maxValues} array elements and object members is refused`,
        );
  const accept = (c: Context, body: Uint8Array<ArrayBuffer>) => {
    // Hono keeps each body it has read as the promise of that reading, under the name of the
    // method (`text`, which `c.req.json()` parses); its type declares the methods instead.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(utf8.decode(body));
    if (limits.rawRequest === true) c.req.raw = new Request(c.req.raw, { body });
  };
  return async (c, next) => {
    // A GET or HEAD has no body; asking the request for one would build a web Request for nothing.
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const declared = Number(c.req.header("content-length") ?? Number.NaN);
    if (declared > limits.maxBytes) return tooLarge(c);
    if (declared <= SMALL_BODY_BYTES) {
      const body = new Uint8Array(await c.req.raw.arrayBuffer());
      const refusal = new JsonShapeScanner(limits).push(body);
      if (refusal !== undefined) return refused(c, refusal);
      accept(c, body);
      return next();
    }
    const stream = c.req.raw.body;
    if (stream === null) return next();
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
        if (refusal !== undefined) return refused(c, refusal);
        chunks.push(value);
      }
    } finally {
      reader.releaseLock();
    }
    accept(c, concat(chunks, size));
    return next();
  };
}
