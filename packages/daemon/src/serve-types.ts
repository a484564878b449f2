/**
 * Shared shapes of `serve` and its per-runtime adapters, and the translation of "address in
 * use" into `DAEMON_PORT_IN_USE`, which every adapter reports the same way.
 */

import { KernelError } from "@oxios/core";
import { DaemonErrorCode } from "./error-codes.ts";

/** A web-standard request handler, such as a Hono app's `fetch`. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

export type ServeRuntime = "node" | "bun" | "deno";

/** A listening server. */
export interface ServedHttp {
  /** Base URL, e.g. `http://127.0.0.1:4200`. */
  readonly url: string;
  readonly hostname: string;
  /** The bound port (the chosen one when 0 was asked for). */
  readonly port: number;
  readonly runtime: ServeRuntime;
  /** Stops accepting connections and resolves once open requests finished; idempotent. */
  close(): Promise<void>;
}

/**
 * A liveness answer given from memory: a `GET` of exactly `path` is answered 200 with
 * `body()` as JSON. On Node it is answered as soon as the request is parsed, ahead of every
 * queued request (see serve-node.ts); Bun and Deno hand it to the handler like any other.
 */
export interface LivenessAnswer {
  readonly path: string;
  body(): unknown;
}

/** What an adapter needs: a handler that never throws, and where to listen. */
export interface AdapterOptions {
  readonly handler: FetchHandler;
  readonly hostname: string;
  readonly port: number;
  readonly liveness?: LivenessAnswer;
}

/** What an adapter returns; `serve` adds the URL and close-once behaviour. */
export interface AdapterServer {
  readonly port: number;
  close(): Promise<void>;
}

export function portInUse(hostname: string, port: number, cause: unknown): KernelError {
  return new KernelError(DaemonErrorCode.portInUse, `port ${port} on ${hostname} is already in use`, {
    cause,
    details: { hostname, port },
  });
}

export function serveFailed(hostname: string, port: number, cause: unknown): KernelError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new KernelError(DaemonErrorCode.serveFailed, `cannot listen on ${hostname}:${port}: ${message}`, {
    cause,
    details: { hostname, port, errno: (cause as { code?: unknown } | null)?.code },
  });
}

export function isAddressInUse(error: unknown): boolean {
  const value = error as { code?: unknown; name?: unknown } | null;
  return value?.code === "EADDRINUSE" || value?.name === "AddrInUse";
}
