/** `/api/audit`: audit entries, oldest first, and the hash chain's verification. */

import { z } from "@hono/zod-openapi";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { AuditEntrySchema, AuditVerifySchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

export function auditRoutes(kernel: Pick<Kernel, "audit" | "auditSubscriber">) {
  const app = createRouter();
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/audit",
      summary: "Audit entries, oldest first",
      request: {
        query: z.object({
          from: z.coerce.number().int().min(0).optional().openapi({ description: "first sequence number" }),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
          actor: z.string().optional(),
          action: z.string().optional(),
        }),
      },
      responses: {
        200: json(z.object({ entries: z.array(AuditEntrySchema) }), "Entries"),
        422: errors[422],
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      await kernel.auditSubscriber.flush();
      const entries = await kernel.audit.query({
        limit: query.limit ?? 100,
        ...(query.from === undefined ? {} : { afterSeq: query.from - 1 }),
        ...(query.actor ? { actor: query.actor } : {}),
        ...(query.action ? { action: query.action } : {}),
      });
      return c.json({ entries }, 200);
    },
  );
  app.openapi(
    securedRoute({
      method: "get",
      path: "/api/audit/verify",
      summary: "Verify the hash chain",
      responses: { 200: json(AuditVerifySchema, "Verification") },
    }),
    async (c) => {
      await kernel.auditSubscriber.flush();
      const result = await kernel.audit.verify();
      if (result.ok) return c.json({ ok: true, entries: result.count }, 200);
      return c.json(
        { ok: false, entries: kernel.audit.stats().count, firstBadSeq: result.seq, reason: result.reason },
        200,
      );
    },
  );
  return app;
}
