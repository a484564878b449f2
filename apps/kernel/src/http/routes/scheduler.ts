/** `/api/scheduler`: the scheduler's stats and its queued and running tasks. */

import { z } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import { json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { securedRoute } from "../secured-route.ts";

export function schedulerRoutes(kernel: Pick<Kernel, "scheduler">) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/scheduler/stats",
      summary: "Scheduler counters, gauges and latencies",
      responses: { 200: json(z.record(z.string(), z.unknown()), "Stats") },
    }),
    (c) => c.json({ ...kernel.scheduler.stats() }, 200),
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/scheduler/tasks",
      summary: "Queued and running tasks",
      responses: {
        200: json(z.object({ queued: z.array(z.unknown()), running: z.array(z.unknown()) }), "Tasks"),
      },
    }),
    (c) => c.json({ queued: kernel.scheduler.queued(), running: kernel.scheduler.running() }, 200),
  );
  return app;
}
