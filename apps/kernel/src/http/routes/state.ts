/** `GET /api/state/{category}`: the entries of a state store category. */

import { z } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { securedRoute } from "../secured-route.ts";

export function stateRoutes(kernel: Pick<Kernel, "state">) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/state/{category}",
      summary: "Entries of a state category",
      request: {
        params: z.object({
          category: z
            .string()
            .min(1)
            .max(200)
            .openapi({ param: { name: "category", in: "path" } }),
        }),
      },
      responses: {
        200: json(
          z.object({
            category: z.string(),
            entries: z.array(z.object({ name: z.string(), format: z.string(), size: z.number(), savedAt: z.number() })),
          }),
          "Entries",
        ),
        422: errors[422],
      },
    }),
    async (c) => {
      const { category } = c.req.valid("param");
      const entries = await kernel.state.list(category);
      return c.json(
        {
          category,
          entries: entries.map((entry) => ({
            name: entry.name,
            format: entry.format,
            size: entry.size,
            savedAt: entry.savedAt,
          })),
        },
        200,
      );
    },
  );
  return app;
}
