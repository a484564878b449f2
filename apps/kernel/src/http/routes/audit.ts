/** `/api/audit`: audit entries, oldest first, the whole trail as JSON lines, and the hash chain's verification. */

import { z } from "@hono/zod-openapi";
import { stream } from "hono/streaming";
import type { Kernel } from "../../kernel.ts";
import { errors, json } from "../openapi-responses.ts";
import { createRouter } from "../router.ts";
import { AuditEntrySchema, AuditVerifySchema } from "../schemas.ts";
import { securedRoute } from "../secured-route.ts";

/** Entries read per page of the export. */
const EXPORT_PAGE = 1_000;

export function auditRoutes(kernel: Pick<Kernel, "audit" | "auditSubscriber" | "logger">) {
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
      path: "/api/audit/export",
      summary: "The audit trail as JSON lines (one entry per line, oldest first), streamed page by page",
      description:
        'Example: `curl -H "authorization: Bearer $TOKEN" http://127.0.0.1:4200/api/audit/export > audit.jsonl` (or `oxios audit export > audit.jsonl`)',
      request: {
        query: z.object({
          from: z.coerce.number().int().min(1).optional().openapi({ description: "first sequence number" }),
        }),
      },
      responses: {
        200: {
          description: "application/x-ndjson: one AuditEntry per line",
          content: { "application/x-ndjson": { schema: z.string() } },
        },
        422: errors[422],
      },
    }),
    (c) => {
      const from = c.req.valid("query").from ?? 1;
      c.header("content-type", "application/x-ndjson");
      // zod-openapi types an `application/x-…json` answer as `never` (its JSON pattern with an
      // unknown prefix), so the streamed Response is passed as such.
      return stream(
        c,
        async (out) => {
          await kernel.auditSubscriber.flush();
          let afterSeq = from - 1;
          for (;;) {
            if (out.aborted) return;
            const entries = await kernel.audit.query({ limit: EXPORT_PAGE, afterSeq });
            if (entries.length === 0) return;
            await out.write(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""));
            afterSeq = (entries.at(-1) as { seq: number }).seq;
            if (entries.length < EXPORT_PAGE) return;
          }
        },
        async (error, out) => {
          kernel.logger.warn("audit export ended early", { error: String(error) });
          await out.close();
        },
      ) as never;
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
