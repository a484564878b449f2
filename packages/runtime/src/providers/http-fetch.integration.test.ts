import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpFetch } from "./http-fetch.ts";

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

const servers: Server[] = [];

async function serve(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handler(request, response, Buffer.concat(chunks).toString("utf8")));
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  }
});

function barrier(): { promise: Promise<void>; release: () => void } {
  const release: Array<() => void> = [];
  const promise = new Promise<void>((resolve) => release.push(resolve));
  return { promise, release: () => release[0]?.() };
}

describe("createHttpFetch", () => {
  it("sends a JSON body with its length and headers, and answers the JSON response as a Response", async () => {
    const seen: Array<{ method?: string; headers: IncomingMessage["headers"]; body: string }> = [];
    const { url } = await serve((request, response, body) => {
      seen.push({ method: request.method, headers: request.headers, body });
      response.writeHead(201, { "content-type": "application/json", "x-request-id": "r1" });
      response.end(JSON.stringify({ ok: true, echo: JSON.parse(body) }));
    });
    const fetch = createHttpFetch();
    const body = JSON.stringify({ text: "grüße" });
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer k" },
      body,
    });
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.get("x-request-id")).toBe("r1");
    expect(await response.json()).toEqual({ ok: true, echo: { text: "grüße" } });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe("POST");
    expect(seen[0]?.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(seen[0]?.headers.authorization).toBe("Bearer k");
    expect(seen[0]?.headers["transfer-encoding"]).toBeUndefined();
  });

  it("takes headers as a Headers object or as pairs", async () => {
    const seen: string[] = [];
    const { url } = await serve((request, response) => {
      seen.push(String(request.headers["x-one"]));
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
    const fetch = createHttpFetch();
    await (await fetch(url, { headers: new Headers({ "x-one": "a" }) })).json();
    await (await fetch(url, { headers: [["x-one", "b"]] })).json();
    expect(seen).toEqual(["a", "b"]);
  });

  it("reuses one keep-alive connection for calls one after another", async () => {
    const ports = new Set<number | undefined>();
    const { url } = await serve((request, response) => {
      ports.add(request.socket.remotePort);
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
    const fetch = createHttpFetch();
    for (let index = 0; index < 3; index++) await (await fetch(url, { method: "POST", body: "{}" })).json();
    expect(ports.size).toBe(1);
  });

  it("sends a call again on a new connection when the server had closed the kept-alive one it was given", async () => {
    const ports: Array<number | undefined> = [];
    const { url, server } = await serve((request, response, body) => {
      ports.push(request.socket.remotePort);
      response.writeHead(200, { "content-type": "application/json" });
      response.end(body);
    });
    const fetch = createHttpFetch();
    expect(await (await fetch(url, { method: "POST", body: '{"call":1}' })).json()).toEqual({ call: 1 });
    // The server closes the idle connection; this process has not read that yet (as after its
    // event loop was held up), so the pool hands the dead connection to the next call.
    server.closeIdleConnections();
    const calls = [2, 3, 4].map((call) => fetch(url, { method: "POST", body: JSON.stringify({ call }) }));
    const answers = await Promise.all(calls.map(async (call) => (await call).json()));
    expect(answers).toEqual([{ call: 2 }, { call: 3 }, { call: 4 }]);
    expect(ports).toHaveLength(4);
    expect(new Set(ports).size).toBe(4);
  });

  it("hands an event stream over as it arrives, before it has ended", async () => {
    const rest = barrier();
    const { url } = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: one\n\n");
      void rest.promise.then(() => response.end("data: two\n\n"));
    });
    const fetch = createHttpFetch();
    const response = await fetch(url, { method: "POST", body: "{}" });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe("data: one\n\n");
    rest.release();
    let tail = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      tail += decoder.decode(value);
    }
    expect(tail).toBe("data: two\n\n");
  });

  it("answers a failed call with its status and body", async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(429, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: "slow down" } }));
    });
    const response = await createHttpFetch()(url, { method: "POST", body: "{}" });
    expect(response.status).toBe(429);
    expect(response.ok).toBe(false);
    expect(await response.json()).toEqual({ error: { message: "slow down" } });
  });

  it("answers 204 with no body", async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(204);
      response.end();
    });
    const response = await createHttpFetch()(url, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it("rejects as fetch does when nothing listens: TypeError 'fetch failed' with the socket error as cause", async () => {
    const { url, server } = await serve(() => undefined);
    servers.splice(servers.indexOf(server), 1);
    server.close();
    await once(server, "close");
    const failure = await createHttpFetch()(url, { method: "POST", body: "{}" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError).message).toBe("fetch failed");
    expect(((failure as TypeError).cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });

  it("rejects with 'fetch failed' when the connection closes in the middle of a JSON body", async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      response.write('{"partial":');
      response.socket?.destroy();
    });
    const failure = await createHttpFetch()(url, { method: "POST", body: "{}" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError).message).toBe("fetch failed");
  });

  it("a connection silent for idleTimeoutMs fails the call with 'fetch failed' and is closed", async () => {
    let closed: Promise<unknown> | undefined;
    const { url } = await serve((request) => {
      closed = once(request.socket, "close");
    });
    const failure = await createHttpFetch({ idleTimeoutMs: 50 })(url, { method: "POST", body: "{}" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError).message).toBe("fetch failed");
    expect(((failure as TypeError).cause as Error).message).toContain("silent for 50 ms");
    await closed;
  });

  it("rejects at once with the signal's reason when it is already aborted, sending nothing", async () => {
    let requests = 0;
    const { url } = await serve((_request, response) => {
      requests++;
      response.end();
    });
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(createHttpFetch()(url, { signal: controller.signal })).rejects.toBe(reason);
    expect(requests).toBe(0);
  });

  it("an abort while waiting for the answer rejects with the reason and closes the connection", async () => {
    const arrived = barrier();
    let closed: Promise<unknown> | undefined;
    const { url } = await serve((request) => {
      closed = once(request.socket, "close");
      arrived.release();
    });
    const controller = new AbortController();
    const pending = createHttpFetch()(url, { method: "POST", body: "{}", signal: controller.signal });
    await arrived.promise;
    controller.abort();
    const failure = await pending.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((failure as DOMException).name).toBe("AbortError");
    await closed;
  });

  it("an abort while an event stream is read errors the stream with the reason", async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: one\n\n");
    });
    const controller = new AbortController();
    const response = await createHttpFetch()(url, { method: "POST", body: "{}", signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const reason = new Error("cancelled");
    controller.abort(reason);
    await expect(reader.read()).rejects.toBe(reason);
  });

  it("hands what it does not carry itself (a Request object) to the global fetch", async () => {
    const { url } = await serve((request, response, body) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ method: request.method, body }));
    });
    const response = await createHttpFetch()(new Request(url, { method: "POST", body: "hello" }));
    expect(await response.json()).toEqual({ method: "POST", body: "hello" });
  });
});
