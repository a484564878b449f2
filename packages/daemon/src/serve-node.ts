/**
 * Node adapter for `serve`: Hono's node server (`@hono/node-server`) turns Node's
 * IncomingMessage/ServerResponse into web Requests and Responses. Loaded with a dynamic
 * import so Bun and Deno never load it.
 *
 * Timeouts and backlog are set for bursts of clients holding long polls and event streams:
 * - `keepAliveTimeout` 65 s: an idle keep-alive socket is closed by the client first (undici
 *   after 4 s), never by the server just as the client reuses it — that race resets requests;
 * - `headersTimeout` 66 s: above `keepAliveTimeout`, as Node requires;
 * - `requestTimeout` 5 min: receiving a request (not answering it: long polls and SSE are not
 *   cut);
 * - listen backlog 2,048: a thousand clients connecting at once wait in the accept queue
 *   instead of having their SYNs dropped (the kernel caps it at `net.core.somaxconn`).
 *
 * Under a burst, liveness stays fast: the `liveness` path is answered from memory as soon as
 * its request is parsed, and every other request's handler is started through a
 * `RequestQueue` (slices of 5 ms per loop turn) instead of in the turn that parsed it, so a
 * liveness probe waits for one slice, not for a thousand handlers.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@oxios/core";
import { RequestQueue } from "./request-queue.ts";
import {
  type AdapterOptions,
  type AdapterServer,
  isAddressInUse,
  type LivenessAnswer,
  portInUse,
  serveFailed,
} from "./serve-types.ts";

/** See the module comment. */
export const NODE_SERVER_TIMEOUTS = {
  keepAliveMs: 65_000,
  headersMs: 66_000,
  requestMs: 300_000,
  backlog: 2_048,
} as const;

/** The longest run of request handlers started in one turn of the event loop (ms). */
export const HANDLER_SLICE_MS = 5;

type Listener = (request: IncomingMessage, response: ServerResponse) => unknown;

/** Answers the liveness path at once; queues every other request's handler. */
function intake(handle: Listener, queue: RequestQueue, liveness: LivenessAnswer | undefined): Listener {
  return (request, response) => {
    if (liveness !== undefined && request.method === "GET" && request.url === liveness.path) {
      const body = JSON.stringify(liveness.body());
      response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      response.end(body);
      return;
    }
    queue.push(() => handle(request, response));
  };
}

export async function serveOnNode(options: AdapterOptions, logger: Logger): Promise<AdapterServer> {
  const { createServer } = await import("node:http");
  const { getRequestListener } = await import("@hono/node-server");
  const queue = new RequestQueue({
    sliceMs: HANDLER_SLICE_MS,
    onError: (error) => logger.error("request handler failed to start", { error }),
  });
  // Hono's listener turns a request into a web Request, and answers 500 itself when the handler throws.
  const handle = getRequestListener((request: Request) => options.handler(request));
  const server = createServer(intake(handle, queue, options.liveness));
  // Once closing, a keep-alive socket is closed as soon as its last response ends: `close()`
  // must not wait out `keepAliveTimeout` on sockets that were busy when it was called.
  let closing = false;
  server.on("request", (_request, response) => {
    response.once("close", () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  server.keepAliveTimeout = NODE_SERVER_TIMEOUTS.keepAliveMs;
  server.headersTimeout = NODE_SERVER_TIMEOUTS.headersMs;
  server.requestTimeout = NODE_SERVER_TIMEOUTS.requestMs;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: unknown): void => {
      server.off("listening", onListening);
      reject(
        isAddressInUse(error)
          ? portInUse(options.hostname, options.port, error)
          : serveFailed(options.hostname, options.port, error),
      );
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ port: options.port, host: options.hostname, backlog: NODE_SERVER_TIMEOUTS.backlog });
  });
  server.on("error", (error) => logger.error("http server error", { error }));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Keep-alive connections with no request in flight would otherwise hold close() open.
        server.closeIdleConnections();
      }),
  };
}
