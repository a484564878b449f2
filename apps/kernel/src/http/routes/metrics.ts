/** `GET /metrics`: Prometheus text of the kernel's counters and gauges and the HTTP metrics. */

import { z } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import type { HttpMetrics } from "../metrics.ts";
import { createRouter } from "../router.ts";
import { securedRoute } from "../secured-route.ts";

export function metricsRoutes(kernel: Kernel, metrics: HttpMetrics) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/metrics",
      summary: "Prometheus text: tasks, agents, events, audit, memory, HTTP",
      responses: {
        200: { description: "Metrics", content: { "text/plain": { schema: z.string() } } },
      },
    }),
    (c) => c.text(metrics.render(kernel), 200, { "content-type": "text/plain; version=0.0.4" }),
  );
  return app;
}
