/**
 * The bare AI SDK behind the thinnest HTTP front the workload's client can talk to: `node:http`
 * answering `POST /api/runs` with 202 and a task id once the run has started
 * (`generateText` as the `ai-sdk` system calls it), and `GET /api/runs/{taskId}?waitMs=…` once
 * the run has ended — the routes and answers `oxios-http` uses, with a bearer token checked and
 * nothing else: no validation, no records, no durability. Built by build.ts and run on plain
 * `node` with `PEERS_MODEL_URL` and `PEERS_HTTP_TOKEN`; prints `listening on http://…`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createAiSdk } from "./systems/ai-sdk.ts";

const baseUrl = process.env.PEERS_MODEL_URL;
const token = process.env.PEERS_HTTP_TOKEN;
if (baseUrl === undefined || token === undefined) throw new Error("PEERS_MODEL_URL and PEERS_HTTP_TOKEN are required");
const system = await createAiSdk(baseUrl);

type Outcome = { status: "completed" } | { status: "failed"; error: string };
const runs = new Map<string, Promise<Outcome>>();
let next = 0;

function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  let body = "";
  for await (const chunk of request) body += chunk;
  if (request.headers.authorization !== `Bearer ${token}`) return answer(response, 401, { error: "unauthorized" });
  const url = new URL(request.url ?? "/", "http://localhost");
  if (request.method === "POST" && url.pathname === "/api/runs") {
    JSON.parse(body);
    const taskId = `run-${next++}`;
    runs.set(
      taskId,
      system.run().then(
        (): Outcome => ({ status: "completed" }),
        (error: unknown): Outcome => ({ status: "failed", error: String(error) }),
      ),
    );
    return answer(response, 202, { taskId });
  }
  const taskId = /^\/api\/runs\/([^/]+)$/.exec(url.pathname)?.[1];
  const run = request.method === "GET" && taskId !== undefined ? runs.get(taskId) : undefined;
  if (run === undefined) return answer(response, 404, { error: "not found" });
  const outcome = await run;
  runs.delete(taskId as string);
  answer(response, 200, outcome);
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => answer(response, 500, { error: String(error) }));
});
server.keepAliveTimeout = 120_000;
server.listen({ port: 0, host: "127.0.0.1", backlog: 2_048 }, () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  console.log(`listening on http://127.0.0.1:${address.port}`);
});
process.once("SIGTERM", () => server.close());
