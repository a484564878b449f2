/**
 * Node adapter for `serve`: Hono's node server (`@hono/node-server`) turns Node's
 * IncomingMessage/ServerResponse into web Requests and Responses. Loaded with a dynamic
 * import so Bun and Deno never load it.
 */

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@oxios/core";
import { type AdapterOptions, type AdapterServer, isAddressInUse, portInUse, serveFailed } from "./serve-types.ts";

export async function serveOnNode(options: AdapterOptions, logger: Logger): Promise<AdapterServer> {
  const { createAdaptorServer } = await import("@hono/node-server");
  const server = createAdaptorServer({ fetch: (request: Request) => options.handler(request) }) as Server;
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
    server.listen(options.port, options.hostname);
  });
  server.on("error", (error) => logger.error("http server error", { error }));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Keep-alive connections with no request in flight would otherwise hold close() open.
        server.closeIdleConnections();
      }),
  };
}
