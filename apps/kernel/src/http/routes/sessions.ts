/** `/api/sessions`: conversation sessions — list, read one (its turns), delete one. */

import { z } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { SessionSchema, SessionSummarySchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

const SessionParam = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" } }),
});

const URL = "http://127.0.0.1:4200";

export function sessionsRoutes(kernel: Pick<Kernel, "sessions">) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/sessions",
      summary: "Sessions with a conversation, most recently active first",
      description: `Example: \`curl -H "authorization: Bearer $TOKEN" ${URL}/api/sessions\` → \`{"sessions": [{"id": "0190…", "spaceId": "…", "turns": 4, "lastActivityAt": 1767600000000}]}\``,
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }) },
      responses: { 200: json(z.object({ sessions: z.array(SessionSummarySchema) }), "Sessions"), 422: errors[422] },
    }),
    async (c) => c.json({ sessions: await kernel.sessions.list(c.req.valid("query").limit ?? 100) }, 200),
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/sessions/{id}",
      summary: "One session: its space and its turns, oldest first",
      description: `Example: \`curl -H "authorization: Bearer $TOKEN" ${URL}/api/sessions/0190…\``,
      request: { params: SessionParam },
      responses: { 200: json(SessionSchema, "The session"), 404: errors[404], 422: errors[422] },
    }),
    async (c) => c.json(await kernel.sessions.read(c.req.valid("param").id), 200),
  );
  app.openapi(
    securedRoute({
      method: "delete",
      path: "/api/sessions/{id}",
      summary: "Forget a session: its turns, active space and open interview",
      description: `Example: \`curl -X DELETE -H "authorization: Bearer $TOKEN" ${URL}/api/sessions/0190…\``,
      request: { params: SessionParam },
      responses: {
        200: json(z.object({ id: z.string(), deleted: z.boolean() }), "Deleted"),
        404: errors[404],
        422: errors[422],
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await kernel.sessions.delete(id);
      return c.json({ id, deleted: true }, 200);
    },
  );
  return app;
}
