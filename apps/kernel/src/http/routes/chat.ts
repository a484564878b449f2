/** `POST /api/chat` and `POST /api/chat/stream`: one message through the orchestrator. */

import type { z } from "@hono/zod-openapi";
import { anySignal } from "@oxios/core";
import { streamSSE } from "hono/streaming";
import type { Kernel } from "../../kernel.ts";
import { errorBody, toKernelError } from "../errors.ts";
import { errors, json, sse } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { ChatRequestSchema, OrchestrationResultSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";
import type { StreamRegistry } from "../stream-registry.ts";

export function chatRoutes(kernel: Pick<Kernel, "runtime" | "logger">, streams: StreamRegistry) {
  const app = createRouter();
  const chatRequest = (body: z.infer<typeof ChatRequestSchema>, signal: AbortSignal) => ({
    text: body.message,
    signal,
    ...(body.sessionId ? { sessionId: body.sessionId } : {}),
    ...(body.spaceId ? { spaceId: body.spaceId } : {}),
    ...(body.agent ? { agent: body.agent } : {}),
  });
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/chat",
      summary: "One message through the orchestrator",
      request: { body: { content: { "application/json": { schema: ChatRequestSchema } }, required: true } },
      responses: {
        200: json(OrchestrationResultSchema, "The orchestration result"),
        422: errors[422],
      },
    }),
    async (c) => c.json(await kernel.runtime.handle(chatRequest(c.req.valid("json"), c.req.raw.signal)), 200),
  );
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/chat/stream",
      summary: "One message as server-sent events: phases, text deltas, tool events, the result",
      description:
        "`oxios chat` reads this stream. " +
        `Example: \`curl -N -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"message": "what changed this week?", "agent": "release-notes"}' http://127.0.0.1:4200/api/chat/stream\``,
      request: { body: { content: { "application/json": { schema: ChatRequestSchema } }, required: true } },
      responses: { 200: sse, 422: errors[422] },
    }),
    (c) => {
      const body = c.req.valid("json");
      const controller = streams.open();
      const stream = kernel.runtime.stream(chatRequest(body, anySignal([controller.signal, c.req.raw.signal])));
      stream.result.then(undefined, (error: unknown) =>
        kernel.logger.info("chat stream ended with an error (sent to the client)", {
          error: toKernelError(error).code,
        }),
      );
      return streamSSE(c, async (sseStream) => {
        try {
          for await (const event of stream.events) {
            await sseStream.writeSSE({ event: event.type, data: JSON.stringify(event) });
          }
          await stream.result;
        } catch (error) {
          const failure = toKernelError(error);
          await sseStream.writeSSE({ event: "error", data: JSON.stringify(errorBody(failure.code, failure.message)) });
        } finally {
          streams.release(controller);
        }
      });
    },
  );
  return app;
}
