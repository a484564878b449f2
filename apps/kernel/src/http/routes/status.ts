/** `GET /api/status`: the modules, the model in use, the memory mode and interop. */

import { execSandboxStatus } from "../../exec-sandbox.ts";
import type { Kernel } from "../../kernel.ts";
import { KERNEL_VERSION, memoryModuleState } from "../../kernel.ts";
import { json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { StatusSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

export type StatusSource = Pick<
  Kernel,
  | "config"
  | "clock"
  | "startedAt"
  | "modules"
  | "interop"
  | "model"
  | "memory"
  | "interrupted"
  | "tools"
  | "execSandbox"
>;

export function statusRoutes(kernel: StatusSource) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/status",
      summary: "Modules, the model in use and the memory mode",
      responses: { 200: json(StatusSchema, "Status") },
    }),
    async (c) => {
      const stats = kernel.memory.stats();
      const sandbox = await execSandboxStatus(kernel.execSandbox);
      return c.json(
        {
          version: KERNEL_VERSION,
          uptimeMs: kernel.clock.now() - kernel.startedAt,
          pid: process.pid,
          home: kernel.config.home,
          modules: { ...kernel.modules, memory: memoryModuleState(kernel.memory), mcp: kernel.interop.mcpState() },
          model: {
            spec: kernel.config.model,
            provider: kernel.model.provider,
            modelId: kernel.model.modelId,
            demo: kernel.model.provider === "demo",
          },
          memory: { mode: stats.mode, embedder: kernel.config.embedder, memories: stats.memories },
          sandbox,
          interruptedRuns: kernel.interrupted,
          interop: {
            ...kernel.interop.status(),
            tools: kernel.tools
              .names()
              .filter((name) => name.startsWith("mcp__") || name.startsWith("a2a_") || name.startsWith("browser_")),
          },
        },
        200,
      );
    },
  );
  return app;
}
