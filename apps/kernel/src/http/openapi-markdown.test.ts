import { describe, expect, it } from "vitest";
import { openApiDocument, readHttpApiDoc, renderHttpApiMarkdown } from "./openapi-markdown.ts";

describe("docs/http-api.md", () => {
  it("matches the OpenAPI document generated from the route schemas", () => {
    expect(readHttpApiDoc()).toBe(renderHttpApiMarkdown());
  });

  it("lists every route of the issue", () => {
    const routes = Object.entries(openApiDocument().paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const route of [
      "GET /health",
      "GET /api/status",
      "POST /api/chat",
      "POST /api/chat/stream",
      "POST /api/runs",
      "GET /api/runs/{taskId}",
      "POST /api/runs/{taskId}/cancel",
      "GET /api/events",
      "GET /api/agents",
      "GET /api/agents/{id}",
      "POST /api/agents/{id}/kill",
      "GET /api/scheduler/stats",
      "GET /api/scheduler/tasks",
      "GET /api/memory",
      "POST /api/memory",
      "GET /api/memory/{id}",
      "DELETE /api/memory/{id}",
      "POST /api/memory/search",
      "GET /api/spaces",
      "POST /api/spaces",
      "GET /api/spaces/{id}",
      "GET /api/audit",
      "GET /api/audit/verify",
      "GET /api/state/{category}",
      "GET /api/git/log",
      "GET /api/git/tags",
      "POST /api/git/tags",
      "GET /api/git/verify",
      "POST /api/git/restore",
      "GET /health/ready",
      "GET /api/agents/profiles",
      "GET /api/approvals",
      "GET /api/approvals/{id}",
      "POST /api/approvals/{id}/approve",
      "POST /api/approvals/{id}/reject",
      "GET /api/schedules",
      "POST /api/schedules",
      "GET /api/schedules/{name}",
      "PUT /api/schedules/{name}",
      "DELETE /api/schedules/{name}",
      "POST /api/schedules/{name}/run",
      "GET /api/sessions",
      "GET /api/sessions/{id}",
      "DELETE /api/sessions/{id}",
      "GET /api/audit/export",
      "GET /metrics",
      "GET /.well-known/agent-card.json",
      "POST /a2a",
    ]) {
      expect(routes).toContain(route);
    }
  });
});
