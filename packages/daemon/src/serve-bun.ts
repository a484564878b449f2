/**
 * Bun adapter for `serve`: `Bun.serve`. Typed locally so the package needs no Bun types.
 */

import { type AdapterOptions, type AdapterServer, isAddressInUse, portInUse, serveFailed } from "./serve-types.ts";

interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

interface BunGlobal {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Response | Promise<Response>;
  }): BunServer;
}

export function serveOnBun(options: AdapterOptions): AdapterServer {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (bun === undefined) throw serveFailed(options.hostname, options.port, new Error("Bun.serve is not available"));
  let server: BunServer;
  try {
    server = bun.serve({ hostname: options.hostname, port: options.port, fetch: options.handler });
  } catch (error) {
    throw isAddressInUse(error)
      ? portInUse(options.hostname, options.port, error)
      : serveFailed(options.hostname, options.port, error);
  }
  return {
    port: server.port,
    close: async () => {
      await server.stop(false);
    },
  };
}
