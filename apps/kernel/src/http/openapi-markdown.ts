/**
 * Renders `docs/http-api.md` from the OpenAPI document, so the page and the document cannot
 * drift: `node --conditions=@oxios/source --import tsx src/http/openapi-markdown.ts --write`
 * regenerates it, and a test checks it is up to date.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { systemClock } from "@oxios/core";
import type { Kernel } from "../kernel.ts";
import { createApi, OPENAPI_CONFIG } from "./app.ts";
import { StreamRegistry } from "./stream-registry.ts";

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  minimum?: number;
  maximum?: number;
};
interface Operation {
  summary?: string;
  /** Shown under the summary: how to call it, with an example. */
  description?: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Schema; description?: string }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
}

export const HTTP_API_DOC = fileURLToPath(new URL("../../../../docs/http-api.md", import.meta.url));

/** The OpenAPI document, built from the route schemas (no kernel is started). */
export function openApiDocument(): { paths: Record<string, Record<string, Operation>>; components?: unknown } {
  // Only route definitions are read; no handler runs, so the kernel is a placeholder.
  const placeholder = { config: { httpRatePerMinute: 1 }, clock: systemClock } as unknown as Kernel;
  const app = createApi({ kernel: placeholder, token: "document-only-token", streams: new StreamRegistry() });
  return app.getOpenAPI31Document(OPENAPI_CONFIG) as never;
}

function typeOf(schema: Schema | undefined): string {
  if (schema === undefined) return "any";
  if (schema.$ref) return schema.$ref.split("/").at(-1) as string;
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" \\| ");
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" \\| ");
  if (schema.type === "array") return `${typeOf(schema.items)}[]`;
  return Array.isArray(schema.type) ? schema.type.join(" \\| ") : (schema.type ?? "object");
}

function fields(schema: Schema, components: Record<string, Schema>): string[] {
  const resolved = schema.$ref ? components[schema.$ref.split("/").at(-1) as string] : schema;
  if (resolved?.properties === undefined) return [];
  return Object.entries(resolved.properties).map(
    ([name, property]) => `\`${name}\`${resolved.required?.includes(name) ? "" : "?"}: ${typeOf(property)}`,
  );
}

export function renderHttpApiMarkdown(): string {
  const document = openApiDocument();
  const components = ((document.components as { schemas?: Record<string, Schema> } | undefined)?.schemas ??
    {}) as Record<string, Schema>;
  const lines = [
    "# HTTP API",
    "",
    "<!-- Generated from the OpenAPI document (apps/kernel/src/http/openapi-markdown.ts); a test checks it. -->",
    "",
    "The kernel serves JSON over HTTP on `OXIOS_HOST:OXIOS_PORT` (default `127.0.0.1:4200`). The",
    "machine-readable description is `GET /api/openapi.json` (OpenAPI 3.1, generated from the",
    "route schemas).",
    "",
    "- **Auth**: every `/api/*` route, `/metrics` and `/a2a` need `Authorization: Bearer <token>`. The token",
    "  is generated on first start into `$OXIOS_HOME/api-token` (mode 0600; the kernel shows it once, on",
    "  a terminal, and never logs it); `OXIOS_API_TOKEN` overrides it. The LLM provider key is never accepted.",
    "- **Bodies** of authenticated requests are read as they arrive and refused before any parsing once",
    "  they pass 10 MiB (413 `BODY_TOO_LARGE`), nest JSON deeper than 64 levels (400 `JSON_TOO_DEEP`) or",
    "  hold more than 10,000 array elements and object members (400 `JSON_TOO_MANY_VALUES`).",
    '- **Errors**: `{"error": {"code", "message", "field"?}}`. The status comes from the kind of the',
    "  code ([`errors.md`](errors.md) lists every code, its kind and status): 400 `JSON_MALFORMED`,",
    "  `JSON_TOO_DEEP`, `JSON_TOO_MANY_VALUES`, `BODY_NOT_JSON` (a JSON body sent without",
    "  `Content-Type: application/json`); 422 `BODY_INVALID` (naming the field) or another",
    "  `invalid` code; 413 `BODY_TOO_LARGE`; 401 `UNAUTHORIZED`; 404 `NOT_FOUND` (also unknown routes)",
    "  or another `not-found` code; 429 `RATE_LIMITED` (per token, `OXIOS_HTTP_RATE_PER_MIN`, default",
    "  1200); 409 a conflict or a run stopped before it finished; 503 while shutting down.",
    "- **The control plane**: agent profiles (`GET /api/agents/profiles`; `agent` on runs and chat,",
    "  404 `AGENT_PROFILE_NOT_FOUND` when unknown), approvals (`/api/approvals`; a second decision is",
    "  409 `TOOL_APPROVAL_ALREADY_DECIDED`), scheduled goals (`/api/schedules`; a bad cron expression",
    "  is 422 `SCHEDULER_SCHEDULE_INVALID` naming the field), sessions (`/api/sessions`), the audit",
    "  export and the state repository (`/api/git/*`); the kernel README shows them with `config.toml`",
    "  and the `oxios` commands. `$TOKEN` in the examples is the API token.",
    "- **Durable runs**: `POST /api/runs` answers once the run is journalled in `oxios.db` (one group",
    "  commit with its scheduler task); after a crash the kernel resumes it from its last journalled",
    "  step (`run.resumed`). With an `Idempotency-Key` header (IETF httpapi draft; 1–255 visible ASCII",
    "  characters, quoted or not) the same key within 24 h answers `200` with the first run's `taskId`",
    "  and starts nothing; a new key answers `202`.",
    "- **Server-sent events**: `/api/events` sends each kernel event as `event: <type>` with the",
    "  event as JSON in `data:` and its id in `id:`, plus a `: keep-alive` comment every 15 s;",
    "  `/api/chat/stream` sends `phase`, `text`, tool activity and a final `result` event;",
    "  `/api/runs/{taskId}/events` sends one run's `status`, journalled `step`s (`id:` the step's seq)",
    "  and its `end`, read from the run journal: any node of a cluster streams any run, and",
    "  `Last-Event-ID` continues after a seq on any node.",
    "- **A2A**: the kernel is an A2A v1.0 agent. Its card is public at `/.well-known/agent-card.json`",
    "  (the JSON-RPC URL on it is built from `host` and `port`); `POST /a2a` takes JSON-RPC through the",
    "  A2A SDK (`SendMessage`, `SendStreamingMessage`, `GetTask`, `CancelTask`). A message becomes a",
    "  direct run (journalled, admitted by the scheduler, tools through the gate); its status",
    "  (`submitted`, `working`, then `completed`, `failed` or `canceled`) streams as SSE, and the",
    "  kernel run id is in each update's `metadata.kernelTaskId`. `CancelTask` cancels the run.",
    "",
    "## Endpoints",
    "",
    "| Method | Path | Auth | Summary |",
    "|---|---|---|---|",
  ];
  const entries = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  );
  for (const { path, method, operation } of entries) {
    lines.push(`| ${method} | \`${path}\` | ${operation.security ? "bearer" : "none"} | ${operation.summary ?? ""} |`);
  }
  for (const { path, method, operation } of entries) {
    lines.push("", `### \`${method} ${path}\``, "", operation.summary ?? "", "");
    if (operation.description !== undefined) lines.push(operation.description, "");
    for (const parameter of operation.parameters ?? []) {
      lines.push(
        `- ${parameter.in} \`${parameter.name}\`${parameter.required ? "" : "?"}: ${typeOf(parameter.schema)}${parameter.description === undefined ? "" : ` — ${parameter.description}`}`,
      );
    }
    const body = operation.requestBody?.content["application/json"]?.schema;
    if (body) lines.push(`- body (${typeOf(body)}): ${fields(body, components).join(", ")}`);
    for (const [status, response] of Object.entries(operation.responses)) {
      const [type, content] = Object.entries(response.content ?? {})[0] ?? ["", undefined];
      lines.push(`- ${status}: ${response.description}${content ? ` (\`${type}\`, ${typeOf(content.schema)})` : ""}`);
    }
  }
  lines.push("", "## Schemas", "");
  for (const [name, schema] of Object.entries(components)) {
    lines.push(`- **${name}**: ${fields(schema, components).join(", ") || typeOf(schema)}`);
  }
  return `${lines.join("\n")}\n`;
}

if (process.argv.includes("--write") && process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(HTTP_API_DOC, renderHttpApiMarkdown());
  console.log(`wrote ${HTTP_API_DOC}`);
}

export function readHttpApiDoc(): string {
  return readFileSync(HTTP_API_DOC, "utf8");
}
