/**
 * The kernel's A2A server: its agent card (public, like /health) and its JSON-RPC endpoint
 * `/a2a` (behind the token, like /api/*).
 */

import { createRoute, z } from "@hono/zod-openapi";
import { type A2aServer, AGENT_CARD_PATH } from "@oxios/tools/a2a";
import { json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { AgentCardSchema, JsonRpcRequestSchema, JsonRpcResponseSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

/** Without `a2a` (the OpenAPI document alone) the routes are only described. */
export function a2aRoutes(a2a: A2aServer | undefined) {
  const app = createRouter();
  // The SDK's transport reads the raw request (and answers streams with SSE), so these routes
  // are described in the document and handed to the A2A server as they are.
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "get",
      path: AGENT_CARD_PATH,
      summary: "The kernel's A2A agent card (no auth; A2A v1.0, JSON-RPC interface at /a2a)",
      responses: { 200: json(AgentCardSchema, "The agent card") },
    }),
  );
  app.openAPIRegistry.registerPath(
    securedRoute({
      method: "post",
      path: "/a2a",
      summary:
        "A2A JSON-RPC: SendMessage and SendStreamingMessage start a kernel run (status updates as server-sent events), GetTask, CancelTask cancels the run",
      request: { body: { content: { "application/json": { schema: JsonRpcRequestSchema } }, required: true } },
      responses: {
        200: {
          description: "A JSON-RPC response, or server-sent events of stream responses for SendStreamingMessage",
          content: {
            "application/json": { schema: JsonRpcResponseSchema },
            "text/event-stream": { schema: z.string() },
          },
        },
      },
    }),
  );
  if (a2a !== undefined) {
    app.on(["GET", "HEAD"], AGENT_CARD_PATH, (c) => a2a.fetch(c.req.raw));
    app.post("/a2a", (c) => a2a.fetch(c.req.raw));
  }
  return app;
}
