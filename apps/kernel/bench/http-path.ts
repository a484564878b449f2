// What the HTTP path costs the kernel per run (#25, #16): the server's CPU per sequential pair of
// `POST /api/runs` + `GET /api/runs/{taskId}?waitMs=30000` — the two requests a run costs a
// client over HTTP — against the kernel's API over a run service that answers at once
// (bench/http-path-server.ts, its own process), so only the HTTP path is measured: Node's HTTP
// server, Hono, the middleware, the routes' checks, the answers. 3,000 pairs to warm up, then
// BLOCKS blocks of PER pairs; prints each block's µs per pair and the median.
//
// node --conditions=@oxios/source --import tsx bench/http-path.ts [BLOCKS] [PER]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { median } from "@oxios/tooling/bench";

const blocks = Number(process.argv[2] ?? 8);
const per = Number(process.argv[3] ?? 500);
const token = "bench-token-0123456789abcdef";

const server = spawn(
  process.execPath,
  ["--conditions=@oxios/source", "--import", "tsx", fileURLToPath(new URL("http-path-server.ts", import.meta.url))],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const lines = createInterface({ input: server.stdout });
const nextLine = async (): Promise<string> => String((await once(lines, "line"))[0]);
const port = Number((await nextLine()).split(" ")[1]);
const base = `http://127.0.0.1:${port}`;
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

async function pair(): Promise<void> {
  const posted = await fetch(`${base}/api/runs`, {
    method: "POST",
    headers,
    body: JSON.stringify({ goal: "add 2 and 3", agent: "bench" }),
  });
  if (posted.status !== 202) throw new Error(`POST /api/runs → ${posted.status} ${await posted.text()}`);
  const { taskId } = (await posted.json()) as { taskId: string };
  const read = await fetch(`${base}/api/runs/${taskId}?waitMs=30000`, { headers });
  if (read.status !== 200) throw new Error(`GET /api/runs/${taskId} → ${read.status}`);
  await read.json();
}

async function serverCpuMs(): Promise<number> {
  server.kill("SIGUSR2");
  return Number((await nextLine()).split(" ")[1]);
}

try {
  for (let index = 0; index < 3000; index++) await pair();
  const perPair: number[] = [];
  for (let block = 0; block < blocks; block++) {
    await serverCpuMs();
    for (let index = 0; index < per; index++) await pair();
    perPair.push(((await serverCpuMs()) * 1000) / per);
  }
  console.log(`blocks (µs per pair): ${perPair.map((value) => value.toFixed(0)).join(" ")}`);
  console.log(`server CPU per POST + long poll: median ${median(perPair).toFixed(0)} µs`);
} finally {
  server.kill("SIGTERM");
  await once(server, "exit");
}
