// The floor of an acknowledgement, for bench/ack-floor.ts: `node bench/ack-floor-server.mjs
// node|hono` serves `POST /api/runs` — read the JSON body, parse it, answer 202 with a small
// JSON body — and `GET /api/runs/{taskId}` — answer 200 with a small JSON body, the run as
// completed — and nothing else, on a bare `node:http` server (`node`) or on Hono through
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
const run = (taskId) => ({ taskId, status: "completed", text: "done" });
const RUN_PATH = /^\/api\/runs\/([^/?]+)(\?.*)?$/;

async function listener() {
  if (kind === "node") {
    const json = (response, status, value) => {
      const body = JSON.stringify(value);
      response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      response.end(body);
    };
    return (request, response) => {
      const read = request.method === "GET" ? RUN_PATH.exec(request.url ?? "") : null;
      if (read !== null) {
        json(response, 200, run(read[1]));
        return;
      }
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
        json(response, 202, answer());
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
    app.get("/api/runs/:taskId", (c) => c.json(run(c.req.param("taskId")), 200));
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
