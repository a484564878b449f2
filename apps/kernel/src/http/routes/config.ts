/** `GET /api/config`: the running kernel's effective configuration, secrets masked. */

import { configView } from "../../config-view.ts";
import type { Kernel } from "../../kernel.ts";
import { json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { EffectiveConfigSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

export function configRoutes(kernel: Pick<Kernel, "config">) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/config",
      summary: "The configuration in force: every config.toml key, secrets shown only as set",
      responses: { 200: json(EffectiveConfigSchema, "Configuration") },
    }),
    (c) =>
      c.json(
        {
          home: kernel.config.home,
          configPath: kernel.config.configPath,
          modelSource: kernel.config.modelSource,
          values: configView(kernel.config),
        },
        200,
      ),
  );
  return app;
}
