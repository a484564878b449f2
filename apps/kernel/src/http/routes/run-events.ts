/**
 * `GET /api/runs/{taskId}/events`: one run's events as server-sent events, read from the run
 * journal (`run-events.ts`), so any node of a cluster answers for any run — the caller's token
 * is checked here, and nothing is forwarded to the node running the run.
 */

import { z } from "@hono/zod-openapi";
import { anySignal, KernelError } from "@oxios/core";
import { streamSSE } from "hono/streaming";
import { KernelErrorCode } from "../../error-codes.ts";
import type { Kernel } from "../../kernel.ts";
import { errorBody, toKernelError } from "../errors.ts";
import { errors, sse } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { securedRoute } from "../secured-route.ts";
import type { StreamRegistry } from "../stream-registry.ts";
import { keepStreamAlive } from "./events.ts";

const SEQ = /^\d{1,15}$/;

export function runEventsRoutes(kernel: Pick<Kernel, "runs" | "logger">, streams: StreamRegistry) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/runs/{taskId}/events",
      summary: "A run's events as server-sent events, from any node: status changes, each journalled step, the end",
      description:
        "Read from the run journal, so every node of a cluster streams the same events in the same order for any " +
        "run, and the stream goes on when the node running it dies and another adopts it. `status` (the run) at the " +
        "start and on each change of status or resume count; `step` (`{seq, step}`, `id:` the seq) per journalled " +
        "step; `end` (the final run), then the stream closes. A stream cut short (the node answering stops: an " +
        "`error` event `KERNEL_STOPPING`, or a dropped connection) continues on any node with `Last-Event-ID` (or " +
        "`after`) set to the last seq seen. Keep-alive every 15 s. " +
        `Example: \`curl -N -H "authorization: Bearer $TOKEN" http://127.0.0.1:4200/api/runs/$TASK_ID/events\``,
      request: {
        params: z.object({
          taskId: z
            .string()
            .min(1)
            .max(256)
            .openapi({ param: { name: "taskId", in: "path" } }),
        }),
        query: z.object({
          after: z.coerce.number().int().min(0).optional().openapi({
            description: "continue after this step seq (as Last-Event-ID); default from the first step",
          }),
        }),
        headers: z.object({
          "last-event-id": z
            .string()
            .regex(SEQ, "a step seq")
            .optional()
            .openapi({
              param: { name: "last-event-id", in: "header" },
              description: "the last step seq seen: the stream continues after it",
            }),
        }),
      },
      responses: { 200: sse, 404: errors[404], 422: errors[422] },
    }),
    async (c) => {
      const { taskId } = c.req.valid("param");
      const lastEventId = c.req.valid("header")["last-event-id"];
      const afterSeq = c.req.valid("query").after ?? (lastEventId === undefined ? 0 : Number(lastEventId));
      if ((await kernel.runs.load(taskId)) === undefined) {
        throw new KernelError(KernelErrorCode.runNotFound, "no such run");
      }
      const controller = streams.open();
      const events = kernel.runs.events(taskId, afterSeq, anySignal([controller.signal, c.req.raw.signal]));
      return streamSSE(c, async (stream) => {
        let lastSeq = afterSeq;
        let ended = false;
        const keepAlive = keepStreamAlive(stream, kernel.logger);
        try {
          await stream.write(": connected\n\n");
          for await (const event of events) {
            if (event.type === "step") {
              lastSeq = event.seq;
              await stream.writeSSE({
                event: "step",
                id: String(event.seq),
                data: JSON.stringify({ seq: event.seq, step: event.step }),
              });
            } else {
              ended = event.type === "end";
              await stream.writeSSE({ event: event.type, data: JSON.stringify(event.record) });
            }
          }
          // The events stopped before the run ended: this node stops (a client that went away reads nothing).
          if (!ended && !c.req.raw.signal.aborted) {
            await stream.writeSSE({
              event: "error",
              data: JSON.stringify({
                ...errorBody(KernelErrorCode.stopping, "this node is stopping: continue on another with Last-Event-ID"),
                lastSeq,
              }),
            });
          }
        } catch (error) {
          const failure = toKernelError(error);
          await stream.writeSSE({
            event: "error",
            data: JSON.stringify({ ...errorBody(failure.code, failure.message), lastSeq }),
          });
        } finally {
          clearInterval(keepAlive);
          await events.return(undefined);
          streams.release(controller);
        }
      });
    },
  );
  return app;
}
