/** `GET /health`: liveness, without auth. */

import { createRoute } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import { KERNEL_VERSION } from "../../kernel.ts";
import { json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { HealthSchema } from "../schemas.ts";

export function healthRoutes(kernel: Pick<Kernel, "clock" | "startedAt">) {
  const app = createRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      summary: "Liveness (no auth)",
      responses: { 200: json(HealthSchema, "Alive") },
    }),
    (c) =>
      c.json({ status: "ok" as const, version: KERNEL_VERSION, uptimeMs: kernel.clock.now() - kernel.startedAt }, 200),
  );
  return app;
}
