// The floor of an acknowledgement, for bench/ack-floor.ts: `node bench/ack-floor-server.mjs
// node|hono` serves `POST /api/runs` — read the JSON body, parse it, answer 202 with a small
// JSON body — and nothing else, on a bare `node:http` server (`node`) or on Hono through
// `@hono/node-server`'s request listener (`hono`), the stack the kernel's API is built on.
// Both listen with the kernel's keep-alive timeouts and backlog (`@oxios/daemon`'s
// NODE_SERVER_TIMEOUTS), so a burst connects to them as it connects to the kernel. Plain
// JavaScript on plain `node`, as the built kernel runs. Prints `PORT n` once it listens.
import { createServer } from "node:http";

const KEEP_ALIVE_MS = 65_000;
const HEADERS_MS = 66_000;
const BACKLOG = 2_048;

const [kind] = process.argv.slice(2);
let started = 0;
const answer = () => {
  started++;
  return { taskId: `task-${started}`, agentId: `agent-${started}` };
};

async function listener() {
  if (kind === "node") {
    return (request, response) => {
      if (request.method !== "POST" || request.url !== "/api/runs") {
        response.writeHead(404).end();
        return;
      }
      const chunks = [];
      request.on("data", (chunk) => chunks.push(chunk));
      request.on("end", () => {
        try {
          JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          response.writeHead(400).end();
          return;
        }
        const body = JSON.stringify(answer());
        response.writeHead(202, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        response.end(body);
      });
    };
  }
  if (kind === "hono") {
    const { Hono } = await import("hono");
    const { getRequestListener } = await import("@hono/node-server");
    const app = new Hono();
    app.post("/api/runs", async (c) => {
      await c.req.json();
      return c.json(answer(), 202);
    });
    return getRequestListener(app.fetch);
  }
  throw new Error(`usage: ack-floor-server.mjs node|hono (got ${kind})`);
}

const server = createServer(await listener());
server.keepAliveTimeout = KEEP_ALIVE_MS;
server.headersTimeout = HEADERS_MS;
await new Promise((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: BACKLOG }, resolve));
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
process.stdout.write(`PORT ${server.address().port}\n`);
