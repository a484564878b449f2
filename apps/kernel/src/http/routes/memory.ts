/** `/api/memory`: list, store, search, read and forget memories. */

import { z } from "@hono/zod-openapi";
import { KernelError } from "@oxios/core";
import { type MemoryEntry, MemoryErrorCode, type MemoryTier, type MemoryType } from "@oxios/memory";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { IdParam, MemoryCreateSchema, MemorySchema, MemorySearchResultSchema, MemorySearchSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

function memoryView(entry: MemoryEntry) {
  return {
    id: entry.id,
    type: entry.type,
    content: entry.content,
    tier: entry.tier,
    tags: entry.tags,
    spaceIds: entry.spaceIds,
    importance: entry.importance,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
  };
}

export function memoryRoutes(kernel: Pick<Kernel, "memory">) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/memory",
      summary: "List memories",
      request: {
        query: z.object({
          type: z.string().optional(),
          tier: z.string().optional(),
          spaceId: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
      },
      responses: {
        200: json(z.object({ memories: z.array(MemorySchema) }), "Memories"),
        422: errors[422],
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const entries = await kernel.memory.list({
        ...(query.type ? { types: [query.type as MemoryType] } : {}),
        ...(query.tier ? { tiers: [query.tier as MemoryTier] } : {}),
        ...(query.spaceId ? { spaceId: query.spaceId } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
      });
      return c.json({ memories: entries.map(memoryView) }, 200);
    },
  );
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/memory",
      summary: "Store a memory",
      request: { body: { content: { "application/json": { schema: MemoryCreateSchema } }, required: true } },
      responses: { 201: json(MemorySchema, "The stored entry"), 422: errors[422] },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const entry = await kernel.memory.remember({
        content: body.content,
        type: (body.type ?? "fact") as MemoryType,
        source: "http",
        ...(body.tags ? { tags: body.tags } : {}),
        ...(body.spaceId ? { spaceId: body.spaceId } : {}),
        ...(body.importance === undefined ? {} : { importance: body.importance }),
      });
      return c.json(memoryView(entry), 201);
    },
  );
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/memory/search",
      summary: "Hybrid search, best first",
      request: { body: { content: { "application/json": { schema: MemorySearchSchema } }, required: true } },
      responses: {
        200: json(MemorySearchResultSchema, "Results"),
        422: errors[422],
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const hits = await kernel.memory.search(body.query, {
        ...(body.limit ? { limit: body.limit } : {}),
        ...(body.mode ? { mode: body.mode } : {}),
      });
      return c.json(
        {
          results: hits.map((hit) => ({
            ...memoryView(hit.entry),
            score: hit.score,
            ...(hit.vectorRank === undefined ? {} : { vectorRank: hit.vectorRank }),
            ...(hit.keywordRank === undefined ? {} : { keywordRank: hit.keywordRank }),
          })),
        },
        200,
      );
    },
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/memory/{id}",
      summary: "One memory",
      request: { params: IdParam },
      responses: { 200: json(MemorySchema, "The memory"), 404: errors[404] },
    }),
    async (c) => {
      const entry = await kernel.memory.get(c.req.valid("param").id);
      if (entry === undefined) throw new KernelError(MemoryErrorCode.notFound, "no such memory");
      return c.json(memoryView(entry), 200);
    },
  );
  app.openapi(
    securedRoute({
      method: "delete",
      path: "/api/memory/{id}",
      summary: "Forget a memory",
      request: { params: IdParam },
      responses: {
        200: json(z.object({ id: z.string(), deleted: z.literal(true) }), "Forgotten"),
        404: errors[404],
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await kernel.memory.forget(id, "deleted over HTTP"))) {
        throw new KernelError(MemoryErrorCode.notFound, "no such memory");
      }
      return c.json({ id, deleted: true as const }, 200);
    },
  );
  return app;
}
