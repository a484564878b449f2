/** `GET /health` (liveness) and `GET /health/ready` (readiness), without auth. */

import { createRoute } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import { KERNEL_VERSION } from "../../kernel.ts";
import { json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { HealthSchema, ReadinessSchema } from "../schemas.ts";

/**
 * The liveness answer, from memory. The Node server answers `GET /health` with it before the
 * request reaches the router (`serve`'s `liveness`), so a burst of queued requests does not
 * delay it; the route below gives the same answer on other runtimes and documents it.
 */
export function healthBody(kernel: Pick<Kernel, "clock" | "startedAt">) {
  return { status: "ok" as const, version: KERNEL_VERSION, uptimeMs: kernel.clock.now() - kernel.startedAt };
}

export function healthRoutes(kernel: Pick<Kernel, "clock" | "startedAt" | "lifecycle">) {
  const app = createRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      summary: "Liveness (no auth)",
      responses: { 200: json(HealthSchema, "Alive") },
    }),
    (c) => c.json(healthBody(kernel), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/health/ready",
      summary: "Readiness (no auth): 200 once booted, 503 while booting or draining",
      description: 'Example: `curl http://127.0.0.1:4200/health/ready` → `{"status": "ready"}`',
      responses: {
        200: json(ReadinessSchema, "Ready for work"),
        503: json(ReadinessSchema, "Booting, or draining for shutdown"),
      },
    }),
    (c) => {
      const { ready, draining } = kernel.lifecycle;
      if (ready && !draining) return c.json({ status: "ready" as const }, 200);
      return c.json({ status: "not-ready" as const, reason: draining ? "draining" : "booting" }, 503);
    },
  );
  return app;
}
