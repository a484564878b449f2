/** `/api/runs`: start a direct run of a goal, list runs, read one (long poll), cancel one. */

import { z } from "@hono/zod-openapi";
import { KernelError } from "@oxios/core";
import { KernelErrorCode } from "../../error-codes.ts";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { CancelSchema, RunRequestSchema, RunSchema, RunStartedSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

const TaskParam = z.object({
  taskId: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: "taskId", in: "path" } }),
});
/** `Idempotency-Key` (IETF httpapi draft): a string of 1–255 visible ASCII characters, quoted or not. */
const IdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^"?[\x21-\x7e]{1,255}"?$/, "1–255 visible ASCII characters")
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description: "The same key within 24 h answers 200 with the first run's taskId instead of starting another run",
    }),
});

function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return header.length >= 2 && header.startsWith('"') && header.endsWith('"') ? header.slice(1, -1) : header;
}

export function runsRoutes(kernel: Pick<Kernel, "runs">) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/runs",
      summary: "Start a direct run of a goal (answered once it is journalled)",
      description:
        "`agent` runs it as an agent profile (404 AGENT_PROFILE_NOT_FOUND when unknown). " +
        `Example: \`curl -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"goal": "Write release notes for the last week", "agent": "release-notes"}' http://127.0.0.1:4200/api/runs\``,
      request: {
        headers: IdempotencyHeaders,
        body: { content: { "application/json": { schema: RunRequestSchema } }, required: true },
      },
      responses: {
        200: json(RunStartedSchema, "The run this Idempotency-Key started within the last 24 h (none is started)"),
        202: json(RunStartedSchema, "Journalled and queued"),
        404: errors[404],
        422: errors[422],
      },
    }),
    async (c) => {
      const key = idempotencyKeyOf(c.req.valid("header")["idempotency-key"]);
      const started = await kernel.runs.start({
        ...c.req.valid("json"),
        ...(key === undefined ? {} : { idempotencyKey: key }),
      });
      return started.created
        ? c.json({ taskId: started.taskId, agentId: started.agentId }, 202)
        : c.json({ taskId: started.taskId, agentId: started.agentId }, 200);
    },
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/runs",
      summary: "Runs of this process",
      responses: { 200: json(z.object({ runs: z.array(RunSchema) }), "Runs") },
    }),
    (c) => c.json({ runs: kernel.runs.list() }, 200),
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/runs/{taskId}",
      summary: "A run's status and result",
      request: {
        params: TaskParam,
        query: z.object({
          waitMs: z.coerce.number().int().min(0).max(60_000).optional().openapi({
            description: "long poll: wait up to this many ms for the run to finish before answering",
          }),
        }),
      },
      responses: { 200: json(RunSchema, "The run"), 404: errors[404], 422: errors[422] },
    }),
    async (c) => {
      const { taskId } = c.req.valid("param");
      const { waitMs } = c.req.valid("query");
      if (waitMs !== undefined && waitMs > 0) await kernel.runs.waitFor(taskId, waitMs, c.req.raw.signal);
      const run = await kernel.runs.load(taskId);
      if (run === undefined) throw new KernelError(KernelErrorCode.runNotFound, "no such run");
      return c.json(run, 200);
    },
  );
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/runs/{taskId}/cancel",
      summary: "Cancel a queued or running run",
      request: { params: TaskParam },
      responses: { 200: json(CancelSchema, "Whether it was cancelled"), 404: errors[404] },
    }),
    async (c) => {
      const { taskId } = c.req.valid("param");
      if ((await kernel.runs.load(taskId)) === undefined)
        throw new KernelError(KernelErrorCode.runNotFound, "no such run");
      return c.json({ taskId, cancelled: await kernel.runs.cancel(taskId, "cancelled over HTTP") }, 200);
    },
  );
  return app;
}
