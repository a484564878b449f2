/** `GET /api/state/{category}` and `GET /api/git/log`: the state store and its git history. */

import { z } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { GitCommitSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

export function stateRoutes(kernel: Pick<Kernel, "state" | "git">) {
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
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/git/log",
      summary: "Commits of the state repository, newest first",
      request: { query: z.object({ depth: z.coerce.number().int().min(1).max(1000).optional() }) },
      responses: { 200: json(z.object({ commits: z.array(GitCommitSchema) }), "Commits") },
    }),
    async (c) => {
      const commits = await kernel.git.log({ depth: c.req.valid("query").depth ?? 20 });
      return c.json(
        {
          commits: commits.map((commit) => ({
            oid: commit.oid,
            message: commit.message,
            author: commit.author.name,
            timestamp: commit.author.timestamp,
          })),
        },
        200,
      );
    },
  );
  return app;
}
