/** `GET /api/events`: kernel events as server-sent events, with a keep-alive comment. */

import { z } from "@hono/zod-openapi";
import { KernelError, type Logger } from "@oxios/core";
import { isKernelEventType, type KernelEvent, type KernelEventType } from "@oxios/event-bus";
import { streamSSE } from "hono/streaming";
import { KernelErrorCode } from "../../error-codes.ts";
import type { Kernel } from "../../kernel.ts";
import { errors, sse } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { securedRoute } from "../secured-route.ts";
import type { StreamRegistry } from "../stream-registry.ts";

const SSE_KEEP_ALIVE_MS = 15_000;

/**
 * Writes an SSE comment every `SSE_KEEP_ALIVE_MS` so proxies and clients keep an idle stream
 * open; a failed write means the stream is closing and is logged. Returns the timer to clear.
 */
export function keepStreamAlive(
  stream: { write(text: string): Promise<unknown> },
  logger: Logger,
): ReturnType<typeof setInterval> {
  return setInterval(() => {
    stream.write(": keep-alive\n\n").catch((error: unknown) => {
      logger.debug("keep-alive write failed; the stream is closing", { error: String(error) });
    });
  }, SSE_KEEP_ALIVE_MS);
}

function list(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  return items === undefined || items.length === 0 ? undefined : items;
}

export function eventsRoutes(kernel: Pick<Kernel, "bus" | "logger">, streams: StreamRegistry) {
  const app = createRouter();
  let streamCounter = 0;
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/events",
      summary: "Kernel events as server-sent events (keep-alive every 15 s)",
      request: {
        query: z.object({ types: z.string().optional().openapi({ description: "comma-separated event types" }) }),
      },
      responses: { 200: sse, 422: errors[422] },
    }),
    (c) => {
      const types = list(c.req.valid("query").types);
      for (const type of types ?? []) {
        if (!isKernelEventType(type)) {
          throw new KernelError(KernelErrorCode.eventTypesInvalid, `unknown event type "${type}"`, {
            details: { field: "types" },
          });
        }
      }
      const controller = streams.open();
      const subscription = kernel.bus.subscribe({
        name: `sse-${++streamCounter}`,
        bufferSize: 4096,
        ...(types === undefined ? {} : { types: types as KernelEventType[] }),
      });
      return streamSSE(c, async (stream) => {
        const stop = () => subscription.end();
        controller.signal.addEventListener("abort", stop, { once: true });
        stream.onAbort(stop);
        const keepAlive = keepStreamAlive(stream, kernel.logger);
        try {
          await stream.write(": connected\n\n");
          for await (const event of subscription as AsyncIterable<KernelEvent>) {
            await stream.writeSSE({ event: event.type, id: event.id, data: JSON.stringify(event) });
          }
        } finally {
          clearInterval(keepAlive);
          subscription.end();
          streams.release(controller);
        }
      });
    },
  );
  return app;
}
