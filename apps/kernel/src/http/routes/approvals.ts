/** `/api/approvals`: the gate's approvals — list, read one, approve, reject (a second decision is 409). */

import { z } from "@hono/zod-openapi";
import { KernelError } from "@oxios/core";
import { type ApprovalRecord, ToolErrorCode } from "@oxios/tools";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { ApprovalDecisionSchema, ApprovalSchema, ApprovalStatusQuery, ErrorSchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

const ApprovalParam = z.object({
  id: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: "id", in: "path" } }),
});

const conflict = {
  description: "Already decided (TOOL_APPROVAL_ALREADY_DECIDED, naming its status and who decided)",
  content: { "application/json": { schema: ErrorSchema } },
};

const URL = "http://127.0.0.1:4200";

export function approvalsRoutes(kernel: Pick<Kernel, "approvals" | "clock">) {
  const app = createRouter();
  const view = (record: ApprovalRecord) => ({ ...record, ageMs: kernel.clock.now() - record.requestedAt });
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/approvals",
      summary: "Approvals of tool calls, newest first (default: the pending ones)",
      description:
        "Each with the agent, its profile and run, the tool, the call's input (secrets redacted), the reason and its age. " +
        'Example: `curl -H "authorization: Bearer $TOKEN" ' +
        URL +
        '/api/approvals` → `{"approvals": [{"approvalId": "0190…", "tool": "exec", "input": {"binary": "git", "args": ["push"]}, "ageMs": 4100, "status": "pending", …}]}`; `?status=all` lists decided ones too.',
      request: { query: ApprovalStatusQuery },
      responses: { 200: json(z.object({ approvals: z.array(ApprovalSchema) }), "Approvals"), 422: errors[422] },
    }),
    (c) => {
      const { status, limit } = c.req.valid("query");
      const records = kernel.approvals.list({
        limit: limit ?? 100,
        ...(status === undefined ? { status: "pending" as const } : status === "all" ? {} : { status }),
      });
      return c.json({ approvals: records.map(view) }, 200);
    },
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/approvals/{id}",
      summary: "One approval",
      description: `Example: \`curl -H "authorization: Bearer $TOKEN" ${URL}/api/approvals/0190…\``,
      request: { params: ApprovalParam },
      responses: { 200: json(ApprovalSchema, "The approval"), 404: errors[404] },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const record = kernel.approvals.get(id);
      if (record === undefined) throw new KernelError(ToolErrorCode.approvalNotFound, `no approval ${id}`);
      return c.json(view(record), 200);
    },
  );
  for (const action of ["approve", "reject"] as const) {
    app.openapi(
      securedRoute({
        method: "post",
        path: `/api/approvals/{id}/${action}`,
        summary:
          action === "approve"
            ? "Approve a pending call: the tool runs"
            : "Reject a pending call: the model gets the rejection with its reason",
        description:
          "Recorded and audited as decided by `operator` (or `operator:<by>`); deciding it again is 409 TOOL_APPROVAL_ALREADY_DECIDED. " +
          `Example: \`curl -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"reason": "not on Fridays", "by": "alice"}' ${URL}/api/approvals/0190…/${action}\``,
        request: {
          params: ApprovalParam,
          body: { content: { "application/json": { schema: ApprovalDecisionSchema } }, required: false },
        },
        responses: {
          200: json(ApprovalSchema, "The decided approval"),
          404: errors[404],
          409: conflict,
          422: errors[422],
        },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : {};
        const record = kernel.approvals.decide(id, {
          approved: action === "approve",
          by: body.by === undefined ? "operator" : `operator:${body.by}`,
          ...(body.reason === undefined ? {} : { reason: body.reason }),
        });
        return c.json(view(record), 200);
      },
    );
  }
  return app;
}
