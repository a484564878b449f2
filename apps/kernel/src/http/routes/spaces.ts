/** `/api/spaces`: list, create and read spaces. */

import { z } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { IdParam, SpaceCreateSchema, SpaceSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

export function spacesRoutes(kernel: Pick<Kernel, "spaces">) {
  const app = createRouter();
  const spaceView = (space: Awaited<ReturnType<Kernel["spaces"]["get"]>>) => ({
    id: space.id,
    name: space.name,
    description: space.description,
    paths: [...space.paths],
    tags: [...space.tags],
    emoji: space.emoji,
    source: space.source,
    createdAt: space.createdAt,
    updatedAt: space.updatedAt,
  });
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/spaces",
      summary: "Every space (the default first)",
      responses: { 200: json(z.object({ spaces: z.array(SpaceSchema) }), "Spaces") },
    }),
    async (c) => c.json({ spaces: (await kernel.spaces.list()).map(spaceView) }, 200),
  );
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/spaces",
      summary: "Create a space",
      request: { body: { content: { "application/json": { schema: SpaceCreateSchema } }, required: true } },
      responses: { 201: json(SpaceSchema, "The space"), 422: errors[422] },
    }),
    async (c) => c.json(spaceView(await kernel.spaces.create({ ...c.req.valid("json"), source: "manual" })), 201),
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/spaces/{id}",
      summary: "One space",
      request: { params: IdParam },
      responses: { 200: json(SpaceSchema, "The space"), 404: errors[404] },
    }),
    async (c) => c.json(spaceView(await kernel.spaces.get(c.req.valid("param").id)), 200),
  );
  return app;
}
