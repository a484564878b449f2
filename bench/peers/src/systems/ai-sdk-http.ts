/**
 * The bare AI SDK over HTTP: `ai-sdk-http-server.ts` (built, on plain `node`) runs the `ai-sdk`
 * system's `generateText` behind `node:http`, and a run is the request pair `oxios-http` sends
 * (`runOverHttp`). What the HTTP rows cost with no kernel: the same client, two processes, two
 * requests per run. CPU and RSS are the server process's.
 */
import { randomUUID } from "node:crypto";
import type { System } from "../workload.ts";
import { runOverHttp, startHttpServerProcess } from "./http-process.ts";

export async function createAiSdkHttp(baseUrl: string): Promise<System> {
  const entry = process.env.PEERS_AI_SDK_HTTP_SERVER;
  if (entry === undefined) throw new Error("ai-sdk http: PEERS_AI_SDK_HTTP_SERVER is set by run.ts");
  const token = randomUUID();
  const server = await startHttpServerProcess([entry], {
    ...process.env,
    PEERS_MODEL_URL: baseUrl,
    PEERS_HTTP_TOKEN: token,
  });
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return {
    run: () => runOverHttp(server.url, headers, { goal: "bench" }),
    cpuMs: () => server.cpuMs(),
    rssMb: () => server.rssMb(),
    close: () => server.close(),
  };
}
