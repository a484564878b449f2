/**
 * The floor under "model requests in flight during the HTTP burst": a `node:http` server that
 * does nothing but answer each `POST /api/runs` at once and hold the run for two 50 ms model
 * calls (100 ms, no model, no work) before its long poll is answered, sent the burst's 200 runs at
 * once by the client the HTTP systems use (`runOverHttp`, in a process of its own). Prints, per
 * burst, the most runs held at once and how long after the first `POST` the 150th and the 200th
 * arrived: whether this client on this machine can put 150 runs in flight at all.
 *
 *   node --import tsx src/burst-intake-floor.ts [BURSTS]
 */
import { fork } from "node:child_process";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { runOverHttp } from "./systems/http-process.ts";

const RUNS = 200;
const HOLD_MS = 100;

if (process.argv[2] === "client") {
  const url = process.argv[3] as string;
  const headers = { authorization: "Bearer floor", "content-type": "application/json" };
  process.on("message", () => {
    Promise.all(Array.from({ length: RUNS }, () => runOverHttp(url, headers, { goal: "floor" }))).then(
      () => process.send?.("done"),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
  process.send?.("ready");
} else {
  const bursts = Number(process.argv[2] ?? 4);
  /** When each held run's two model calls would have ended, by task id. */
  const releaseAt = new Map<string, number>();
  let arrivals: number[] = [];
  let inFlight = 0;
  let most = 0;
  let next = 0;
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk;
    });
    request.on("end", () => {
      const reply = (status: number, value: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(value));
      };
      if (request.method === "POST") {
        JSON.parse(body);
        const taskId = `run-${next++}`;
        arrivals.push(performance.now());
        inFlight++;
        most = Math.max(most, inFlight);
        releaseAt.set(taskId, performance.now() + HOLD_MS);
        setTimeout(() => {
          inFlight--;
        }, HOLD_MS);
        reply(202, { taskId });
        return;
      }
      const taskId = /^\/api\/runs\/([^/?]+)/.exec(request.url ?? "")?.[1] ?? "";
      const release = releaseAt.get(taskId);
      if (release === undefined) return reply(404, { error: "not found" });
      releaseAt.delete(taskId);
      setTimeout(() => reply(200, { status: "completed" }), Math.max(0, release - performance.now()));
    });
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 2_048 }, resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const client = fork(fileURLToPath(import.meta.url), ["client", `http://127.0.0.1:${address.port}`], {
    execArgv: ["--import", "tsx"],
  });
  await new Promise((resolve) => client.once("message", resolve));
  for (let burst = 1; burst <= bursts; burst++) {
    arrivals = [];
    most = 0;
    client.send("go");
    await new Promise((resolve) => client.once("message", resolve));
    const first = arrivals[0] ?? 0;
    const at = (n: number) => ((arrivals[n - 1] ?? Number.NaN) - first).toFixed(1);
    console.log(
      `burst ${burst}: ${most} runs held at once; POST 150 arrived ${at(150)} ms, POST 200 ${at(200)} ms after the first`,
    );
  }
  client.kill();
  server.close();
}
