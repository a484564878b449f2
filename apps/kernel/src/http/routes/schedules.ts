/** `/api/schedules`: scheduled goals — list, create, read, replace, delete, run now. */

import { z } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import {
  ErrorSchema,
  ScheduleCreateSchema,
  ScheduleReplaceSchema,
  ScheduleRunSchema,
  ScheduleSchema,
} from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

const NameParam = z.object({
  name: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "name", in: "path" } }),
});

const invalid = {
  description:
    "Wrong types, or an invalid schedule (SCHEDULER_SCHEDULE_INVALID naming the field: cron, every, timezone, …)",
  content: { "application/json": { schema: ErrorSchema } },
};
const conflict = (what: string) => ({ description: what, content: { "application/json": { schema: ErrorSchema } } });

const URL = "http://127.0.0.1:4200";

export function schedulesRoutes(kernel: Pick<Kernel, "schedules">) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/schedules",
      summary: "Scheduled goals with when each fires next",
      description: `Example: \`curl -H "authorization: Bearer $TOKEN" ${URL}/api/schedules\``,
      responses: { 200: json(z.object({ schedules: z.array(ScheduleSchema) }), "Schedules") },
    }),
    (c) => c.json({ schedules: kernel.schedules.list() }, 200),
  );
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/schedules",
      summary: "Create a scheduled goal (cron in a time zone, or an interval)",
      description:
        'A bad cron expression is 422 SCHEDULER_SCHEDULE_INVALID with `field: "cron"` and croner\'s reason ("Invalid value for minute: 61"). ' +
        `Example: \`curl -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name": "release-notes", "cron": "0 9 * * 1-5", "timezone": "Europe/Berlin", "goal": "Write release notes from git log", "agent": "release-notes"}' ${URL}/api/schedules\``,
      request: { body: { content: { "application/json": { schema: ScheduleCreateSchema } }, required: true } },
      responses: {
        201: json(ScheduleSchema, "Created"),
        404: errors[404],
        409: conflict(
          "The name is taken (SCHEDULER_SCHEDULE_EXISTS) or defined in config.toml (SCHEDULER_SCHEDULE_READ_ONLY)",
        ),
        422: invalid,
      },
    }),
    (c) => c.json(kernel.schedules.put(c.req.valid("json"), "api", { replace: false }), 201),
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/schedules/{name}",
      summary: "One scheduled goal",
      description: `Example: \`curl -H "authorization: Bearer $TOKEN" ${URL}/api/schedules/release-notes\``,
      request: { params: NameParam },
      responses: { 200: json(ScheduleSchema, "The schedule"), 404: errors[404] },
    }),
    (c) => c.json(kernel.schedules.get(c.req.valid("param").name), 200),
  );
  app.openapi(
    securedRoute({
      method: "put",
      path: "/api/schedules/{name}",
      summary: "Create or replace a scheduled goal",
      description: `Example: \`curl -X PUT -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"every": "1h", "goal": "Summarize new issues", "overlap": "queue"}' ${URL}/api/schedules/triage\``,
      request: {
        params: NameParam,
        body: { content: { "application/json": { schema: ScheduleReplaceSchema } }, required: true },
      },
      responses: {
        200: json(ScheduleSchema, "The schedule"),
        404: errors[404],
        409: conflict("Defined in config.toml (SCHEDULER_SCHEDULE_READ_ONLY)"),
        422: invalid,
      },
    }),
    (c) =>
      c.json(
        kernel.schedules.put({ ...c.req.valid("json"), name: c.req.valid("param").name }, "api", { replace: true }),
        200,
      ),
  );
  app.openapi(
    securedRoute({
      method: "delete",
      path: "/api/schedules/{name}",
      summary: "Delete a scheduled goal (a run it started goes on)",
      description: `Example: \`curl -X DELETE -H "authorization: Bearer $TOKEN" ${URL}/api/schedules/triage\``,
      request: { params: NameParam },
      responses: {
        200: json(z.object({ name: z.string(), deleted: z.boolean() }), "Deleted"),
        404: errors[404],
        409: conflict("Defined in config.toml (SCHEDULER_SCHEDULE_READ_ONLY)"),
      },
    }),
    (c) => {
      const { name } = c.req.valid("param");
      kernel.schedules.remove(name);
      return c.json({ name, deleted: true }, 200);
    },
  );
  app.openapi(
    securedRoute({
      method: "post",
      path: "/api/schedules/{name}/run",
      summary: "Run a scheduled goal now (it never overlaps its own run: queued, or 409 under overlap skip)",
      description: `Example: \`curl -X POST -H "authorization: Bearer $TOKEN" ${URL}/api/schedules/release-notes/run\` → \`{"started": true, "taskId": "0190…"}\``,
      request: { params: NameParam },
      responses: {
        202: json(ScheduleRunSchema, "Started (taskId) or queued behind the running one"),
        404: errors[404],
        409: conflict("Its run goes on and its overlap policy is skip (SCHEDULER_SCHEDULE_BUSY)"),
      },
    }),
    async (c) => c.json(await kernel.schedules.run(c.req.valid("param").name), 202),
  );
  return app;
}
