/**
 * Runs `serve` in whatever runtime executes this file (Node, Bun or Deno): prints one JSON
 * line with the URL, answers one request with the runtime's name, then closes and prints
 * "closed". With OCCUPIED_PORT set it first tries that port and prints the error code.
 */

import { createConsoleLogger } from "@oxios/core";
import { detectRuntime, serve } from "../serve.ts";

const logger = createConsoleLogger({ level: "warn" });
const occupied = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.OCCUPIED_PORT;
let portError: string | undefined;
if (occupied !== undefined) {
  try {
    await serve(() => new Response("never"), { port: Number(occupied), logger });
  } catch (error) {
    portError = `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
}

let closeServer: () => void = () => undefined;
const closed = new Promise<void>((resolve) => {
  closeServer = resolve;
});
const server = await serve(
  (request) => {
    setTimeout(closeServer, 50);
    return Response.json({ runtime: detectRuntime(), path: new URL(request.url).pathname });
  },
  { hostname: "127.0.0.1", port: 0, logger },
);
console.log(JSON.stringify({ url: server.url, port: server.port, runtime: server.runtime, portError }));
await closed;
await server.close();
console.log("closed");
