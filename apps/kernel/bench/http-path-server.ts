// The kernel's HTTP API (`createApi`, served by `@oxios/daemon`'s `serve` as the kernel serves
// it) over a run service that answers at once, for bench/http-path.ts: what a request costs
// the HTTP path alone. Prints `PORT n`; on SIGUSR2 prints `CPU ms` used since the last SIGUSR2.
import { createConsoleLogger } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { serve } from "@oxios/daemon";
import { createApi } from "../src/http/app.ts";
import { StreamRegistry } from "../src/http/stream-registry.ts";
import type { Kernel } from "../src/kernel.ts";

const BENCH_TOKEN = "bench-token-0123456789abcdef";

const clock = new ManualClock();
let started = 0;
const finished = {
  agentId: "agent-0",
  goal: "add 2 and 3",
  priority: "normal",
  status: "completed",
  agent: "bench",
  model: "fake/model",
  createdAt: 1,
  startedAt: 2,
  finishedAt: 3,
  durationMs: 1,
  text: "5",
};
const kernel = {
  config: { httpRatePerMinute: 1e9, llmApiKey: undefined },
  clock,
  startedAt: 0,
  lifecycle: { ready: true, draining: false },
  logger: createConsoleLogger(),
  runs: {
    start: async () => {
      started++;
      return { taskId: `task-${started}`, agentId: `agent-${started}`, created: true };
    },
    // Every run has finished by the time it is read: the long poll has nothing to wait for.
    waitFor: async () => undefined,
    load: async (taskId: string) => ({ ...finished, taskId }),
  },
} as unknown as Kernel;

const app = createApi({ kernel, token: BENCH_TOKEN, streams: new StreamRegistry() });
const served = await serve(app.fetch, { port: 0, liveness: { path: "/health", body: () => ({ ok: true }) } });
let mark = process.cpuUsage();
process.on("SIGUSR2", () => {
  const used = process.cpuUsage(mark);
  mark = process.cpuUsage();
  console.log(`CPU ${(used.user + used.system) / 1000}`);
});
process.on("SIGTERM", () => {
  served.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
console.log(`PORT ${served.port}`);
