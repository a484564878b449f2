/**
 * Deno adapter for `serve`: `Deno.serve`. Typed locally so the package needs no Deno types.
 */

import { type AdapterOptions, type AdapterServer, isAddressInUse, portInUse, serveFailed } from "./serve-types.ts";

interface DenoServer {
  readonly addr: { readonly port: number };
  shutdown(): Promise<void>;
}

interface DenoGlobal {
  serve(
    options: { hostname: string; port: number; onListen: (address: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoServer;
}

export function serveOnDeno(options: AdapterOptions): AdapterServer {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  if (deno === undefined) throw serveFailed(options.hostname, options.port, new Error("Deno.serve is not available"));
  let server: DenoServer;
  try {
    server = deno.serve(
      {
        hostname: options.hostname,
        port: options.port,
        // Replaces Deno's default "Listening on …" console line; serve() reports the URL instead.
        onListen: (address) => address,
      },
      options.handler,
    );
  } catch (error) {
    throw isAddressInUse(error)
      ? portInUse(options.hostname, options.port, error)
      : serveFailed(options.hostname, options.port, error);
  }
  return { port: server.addr.port, close: () => server.shutdown() };
}
