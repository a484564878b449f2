/**
 * `serve(fetchHandler, {hostname, port})`: one way to put a web-standard request handler
 * (a Hono app's `fetch`) on a port under Node, Bun or Deno. The runtime is picked when
 * `serve` runs; each runtime has its own adapter file. Port 0 picks a free port and the
 * result reports it; an occupied port is `DAEMON_PORT_IN_USE` naming the port. A handler
 * that throws gets a logged 500 JSON error instead of a runtime-specific error page.
 */

import { abortError, CoreErrorCode, createConsoleLogger, KernelError, type Logger } from "@oxios/core";
import { DaemonErrorCode } from "./error-codes.ts";
import { serveOnBun } from "./serve-bun.ts";
import { serveOnDeno } from "./serve-deno.ts";
import { serveOnNode } from "./serve-node.ts";
import type { AdapterServer, FetchHandler, LivenessAnswer, ServedHttp, ServeRuntime } from "./serve-types.ts";

export interface ServeOptions {
  /** Default 127.0.0.1. */
  readonly hostname?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Aborting closes the server. */
  readonly signal?: AbortSignal;
  /** Where handler failures and server errors are logged; default a console logger. */
  readonly logger?: Logger;
  /** A liveness route answered from memory, ahead of queued requests on Node (`LivenessAnswer`). */
  readonly liveness?: LivenessAnswer;
}

/** The runtime this code runs on. */
export function detectRuntime(): ServeRuntime {
  if ("Bun" in globalThis) return "bun";
  if ("Deno" in globalThis) return "deno";
  return "node";
}

function formatUrl(hostname: string, port: number): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `http://${host}:${port}`;
}

export async function serve(handler: FetchHandler, options: ServeOptions): Promise<ServedHttp> {
  const hostname = options.hostname ?? "127.0.0.1";
  const { port: wanted, signal } = options;
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65_535) {
    throw new KernelError(DaemonErrorCode.optionsInvalid, `port must be an integer from 0 to 65535, got ${wanted}`, {
      details: { port: wanted },
    });
  }
  if (signal?.aborted) throw abortError(signal);
  const logger = (options.logger ?? createConsoleLogger()).child({ component: "http" });
  const safeHandler: FetchHandler = async (request) => {
    try {
      return await handler(request);
    } catch (error) {
      const failure = KernelError.from(error);
      logger.error("request handler failed", { method: request.method, url: request.url, error: failure });
      return Response.json({ error: { code: CoreErrorCode.internal, message: "internal error" } }, { status: 500 });
    }
  };
  const runtime = detectRuntime();
  const adapterOptions = {
    handler: safeHandler,
    hostname,
    port: wanted,
    ...(options.liveness === undefined ? {} : { liveness: options.liveness }),
  };
  const adapter: AdapterServer =
    runtime === "bun"
      ? serveOnBun(adapterOptions)
      : runtime === "deno"
        ? serveOnDeno(adapterOptions)
        : await serveOnNode(adapterOptions, logger);

  let closing: Promise<void> | undefined;
  const onAbort = (): void => {
    void close().catch((error: unknown) => logger.error("closing the server on abort failed", { error }));
  };
  const close = (): Promise<void> => {
    signal?.removeEventListener("abort", onAbort);
    closing ??= adapter.close();
    return closing;
  };
  if (signal?.aborted) {
    // Aborted while the adapter was starting to listen.
    await close();
    throw abortError(signal);
  }
  signal?.addEventListener("abort", onAbort, { once: true });
  return { url: formatUrl(hostname, adapter.port), hostname, port: adapter.port, runtime, close };
}
