/** Serves a fetch-style handler with node:http on 127.0.0.1 (tests of the A2A handler). */

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ServedHandler {
  url: string;
  server: Server;
  close(): Promise<void>;
}

async function toRequest(incoming: IncomingMessage, base: string, signal: AbortSignal): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [key, value] of Object.entries(incoming.headers)) {
    if (typeof value === "string") headers.set(key, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(key, item);
  }
  const method = incoming.method ?? "GET";
  return new Request(new URL(incoming.url ?? "/", base), {
    method,
    headers,
    signal,
    ...(method === "GET" || method === "HEAD" ? {} : { body: Buffer.concat(chunks) }),
  });
}

export async function serveFetch(handler: (request: Request) => Promise<Response>): Promise<ServedHandler> {
  let base = "";
  const server = createServer((incoming, outgoing) => {
    const controller = new AbortController();
    outgoing.on("close", () => controller.abort());
    toRequest(incoming, base, controller.signal)
      .then(handler)
      .then(async (response) => {
        const headers: Record<string, string> = {};
        response.headers.forEach((value, key) => {
          headers[key] = value;
        });
        outgoing.writeHead(response.status, headers);
        if (response.body === null) return outgoing.end();
        const reader = response.body.getReader();
        controller.signal.addEventListener("abort", () => {
          reader.cancel().catch((error: unknown) => console.error("cancelling a response body failed", error));
        });
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          outgoing.write(value);
        }
        outgoing.end();
      })
      .catch((error: unknown) => {
        if (!controller.signal.aborted) console.error("handler failed", error);
        outgoing.destroy();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
