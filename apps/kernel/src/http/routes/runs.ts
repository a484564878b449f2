/** `/api/runs`: start a direct run of a goal, list runs, read one (long poll), cancel one. */

import { z } from "@hono/zod-openapi";
import { KernelError } from "@oxios/core";
import type { MiddlewareHandler } from "hono";
import { KernelErrorCode } from "../../error-codes.ts";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter, invalidRequest, refuseInvalid } from "../router.ts";
import { CancelSchema, RunRequestSchema, RunSchema, RunStartedSchema, RunStepsSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

const TaskParam = z.object({
  taskId: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: "taskId", in: "path" } }),
});
/** `Idempotency-Key` (IETF httpapi draft): a string of 1–255 visible ASCII characters, quoted or not. */
const IDEMPOTENCY_HEADER = "idempotency-key";
const IdempotencyHeaders = z.object({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .regex(/^"?[\x21-\x7e]{1,255}"?$/, "1–255 visible ASCII characters")
    .optional()
    .openapi({
      param: { name: IDEMPOTENCY_HEADER, in: "header" },
      description: "The same key within 24 h answers 200 with the first run's taskId instead of starting another run",
    }),
});

/**
 * Refuses a malformed `Idempotency-Key` as the route's header validator would (422
 * `BODY_INVALID` naming it, before the body is read), looking up that one header: the
 * validator zod-openapi derives from `request.headers` copies every header of the request
 * into an object to check it.
 */
const checkIdempotencyKey: MiddlewareHandler = async (c, next) => {
  const header = c.req.header(IDEMPOTENCY_HEADER);
  if (header !== undefined) {
    const result = IdempotencyHeaders.safeParse({ [IDEMPOTENCY_HEADER]: header });
    if (!result.success) return refuseInvalid(c, result.error, "header");
  }
  await next();
};

/** The long poll of `GET /api/runs/{taskId}`. */
const RunReadQuery = z.object({
  waitMs: z.coerce.number().int().min(0).max(60_000).optional().openapi({
    description: "long poll: wait up to this many ms for the run to finish before answering",
  }),
});

const RunListQuery = z.object({
  status: z.enum(["queued", "running", "completed", "failed", "cancelled"]).optional(),
  agent: z.string().min(1).max(256).optional().openapi({ description: "the agent profile" }),
  order: z.enum(["oldest", "newest"]).optional().openapi({ description: "default oldest first" }),
  offset: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return header.length >= 2 && header.startsWith('"') && header.endsWith('"') ? header.slice(1, -1) : header;
}

export function runsRoutes(kernel: Pick<Kernel, "runs">) {
  const app = createRouter();
  const startRun = securedRoute({
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
      503: errors.runRefused,
    },
  });
  // The document describes the route with its header; the route itself checks the header
  // with `checkIdempotencyKey` in place of the derived validator (see there).
  app.openAPIRegistry.registerPath(startRun);
  app.openapi(
    { ...startRun, hide: true, request: { body: startRun.request.body }, middleware: checkIdempotencyKey },
    async (c) => {
      const key = idempotencyKeyOf(c.req.header(IDEMPOTENCY_HEADER));
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
      summary: "Runs of this process, filtered and paginated",
      description:
        "Without a query, every run oldest first. `status` and `agent` filter; `order=newest` turns the order; " +
        "`offset` and `limit` take one page of the filtered list, whose length is `total`. " +
        `Example: \`curl -H "authorization: Bearer $TOKEN" 'http://127.0.0.1:4200/api/runs?status=running&order=newest&limit=50'\``,
      request: { query: RunListQuery },
      responses: {
        200: json(z.object({ runs: z.array(RunSchema), total: z.number().int() }), "One page of runs"),
        422: errors[422],
      },
    }),
    (c) => {
      const { status, agent, order, offset, limit } = c.req.valid("query");
      const matching = kernel.runs
        .list()
        .filter(
          (run) => (status === undefined || run.status === status) && (agent === undefined || run.agent === agent),
        );
      if (order === "newest") matching.reverse();
      const start = offset ?? 0;
      const runs = matching.slice(start, limit === undefined ? undefined : start + limit);
      return c.json({ runs, total: matching.length }, 200);
    },
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/runs/{taskId}/steps",
      summary: "A run's transcript: its prompt, model turns, tool calls with their inputs and outcomes",
      description: "The journalled steps, oldest first (secrets redacted as the journal stores them).",
      request: { params: TaskParam },
      responses: { 200: json(RunStepsSchema, "The run's steps"), 404: errors[404] },
    }),
    async (c) => {
      const { taskId } = c.req.valid("param");
      const steps = await kernel.runs.steps(taskId);
      if (steps === undefined) throw new KernelError(KernelErrorCode.runNotFound, "no such run");
      return c.json({ taskId, steps }, 200);
    },
  );
  const readRun = securedRoute({
    method: "get",
    path: "/api/runs/{taskId}",
    summary: "A run's status and result",
    request: { params: TaskParam, query: RunReadQuery },
    responses: { 200: json(RunSchema, "The run"), 404: errors[404], 422: errors[422] },
  });
  // As for `POST /api/runs`: the document describes the route with its parameters, and the
  // handler checks them itself, the query first as the derived validators would, in place of
  // two validator middlewares (one of which copies the whole query into an object).
  app.openAPIRegistry.registerPath(readRun);
  app.openapi({ ...readRun, hide: true, request: {} }, async (c) => {
    const waitMs = c.req.queries("waitMs");
    const query = RunReadQuery.safeParse(
      waitMs === undefined ? {} : { waitMs: waitMs.length === 1 ? waitMs[0] : waitMs },
    );
    if (!query.success) throw invalidRequest(query.error, "query");
    const param = TaskParam.safeParse({ taskId: c.req.param("taskId") });
    if (!param.success) throw invalidRequest(param.error, "param");
    const { taskId } = param.data;
    const wait = query.data.waitMs;
    if (wait !== undefined && wait > 0) await kernel.runs.waitFor(taskId, wait, c.req.raw.signal);
    const run = await kernel.runs.load(taskId);
    if (run === undefined) throw new KernelError(KernelErrorCode.runNotFound, "no such run");
    return c.json(run, 200);
  });
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
