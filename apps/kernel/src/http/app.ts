/**
 * The HTTP API (Hono + zod-openapi): every route declares its schemas, the OpenAPI document
 * at `/api/openapi.json` is generated from them, and every error is `{error: {code,
 * message}}` with its status — 400 malformed JSON (or nested deeper than 64, or more than
 * 10,000 values: refused by the body guard while the body arrives, before any parsing), 422
 * wrong types (naming the field), 413 over 10 MiB, 401 without a valid token, 404 unknown
 * route, 429 over the per-token rate.
 * The kernel's A2A server is mounted beside them: its agent card is public (like /health),
 * its JSON-RPC endpoint `/a2a` needs the token (like /api/*).
 */

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { anySignal, KernelError } from "@oxios/core";
import { isKernelEventType, type KernelEvent, type KernelEventType } from "@oxios/event-bus";
import type { MemoryEntry, MemoryTier, MemoryType } from "@oxios/memory";
import { type A2aServer, AGENT_CARD_PATH } from "@oxios/tools/a2a";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { streamSSE } from "hono/streaming";
import type { Kernel } from "../kernel.ts";
import { KERNEL_VERSION } from "../kernel.ts";
import { tokenMatches } from "../token.ts";
import { bodyGuard } from "./body-guard.ts";
import { errorBody, statusOf, toKernelError } from "./errors.ts";
import { HttpMetrics } from "./metrics.ts";
import { RateLimiter } from "./rate-limit.ts";
import {
  AgentCardSchema,
  AgentSchema,
  AuditEntrySchema,
  AuditVerifySchema,
  CancelSchema,
  ChatRequestSchema,
  ErrorSchema,
  GitCommitSchema,
  HealthSchema,
  JsonRpcRequestSchema,
  JsonRpcResponseSchema,
  MemoryCreateSchema,
  MemorySchema,
  MemorySearchResultSchema,
  MemorySearchSchema,
  OrchestrationResultSchema,
  RunRequestSchema,
  RunSchema,
  RunStartedSchema,
  SpaceCreateSchema,
  SpaceSchema,
  StatusSchema,
} from "./schemas.ts";

export const BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Deepest JSON nesting a request body may have. */
export const JSON_MAX_DEPTH = 64;
/** Most array elements plus object members a request body may have. */
export const JSON_MAX_VALUES = 10_000;
export const SSE_KEEP_ALIVE_MS = 15_000;

export interface ApiOptions {
  kernel: Kernel;
  token: string;
  /** Ends every open event stream (called by the "stop intake" shutdown step). */
  streams: StreamRegistry;
  /** The kernel's A2A server; without it (the OpenAPI document alone) its routes are only described. */
  a2a?: A2aServer;
}

/** Open SSE streams, so shutdown can end them before the server closes. */
export class StreamRegistry {
  readonly #open = new Set<AbortController>();
  #closed = false;

  open(): AbortController {
    const controller = new AbortController();
    if (this.#closed) controller.abort();
    this.#open.add(controller);
    return controller;
  }

  release(controller: AbortController): void {
    this.#open.delete(controller);
  }

  closeAll(): void {
    this.#closed = true;
    for (const controller of this.#open) controller.abort();
  }

  get size(): number {
    return this.#open.size;
  }
}

const errors = {
  400: {
    description: `Malformed JSON (JSON_MALFORMED), nested deeper than ${JSON_MAX_DEPTH} (JSON_TOO_DEEP) or more than ${JSON_MAX_VALUES} values (JSON_TOO_MANY_VALUES)`,
    content: { "application/json": { schema: ErrorSchema } },
  },
  401: { description: "Missing or wrong token", content: { "application/json": { schema: ErrorSchema } } },
  404: { description: "Not found", content: { "application/json": { schema: ErrorSchema } } },
  422: { description: "Wrong types (the field is named)", content: { "application/json": { schema: ErrorSchema } } },
} as const;

function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: "id", in: "path" } }),
});
const TaskParam = z.object({
  taskId: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: "taskId", in: "path" } }),
});
const secured = [{ bearerAuth: [] }];
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
const sse = { description: "Server-sent events", content: { "text/event-stream": { schema: z.string() } } };

function memoryView(entry: MemoryEntry) {
  return {
    id: entry.id,
    type: entry.type,
    content: entry.content,
    tier: entry.tier,
    tags: entry.tags,
    spaceIds: entry.spaceIds,
    importance: entry.importance,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
  };
}

function list(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  return items === undefined || items.length === 0 ? undefined : items;
}

export function createApi(options: ApiOptions): OpenAPIHono {
  const { kernel, token, streams, a2a } = options;
  const metrics = new HttpMetrics();
  const limiter = new RateLimiter(kernel.config.httpRatePerMinute, kernel.clock);
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const field = issue?.path.join(".") || result.target;
      return c.json(
        errorBody("BODY_INVALID", `${field}: ${issue?.message ?? "invalid"}`, field),
        result.target === "json" ? 422 : 422,
      );
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });

  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    metrics.record(c.req.method, c.res.status, performance.now() - started);
  });
  const auth = async (c: Context, next: () => Promise<void>) => {
    const header = c.req.header("authorization") ?? "";
    const presented = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (presented === "" || !tokenMatches(presented, token, kernel.config.llmApiKey)) {
      return c.json(errorBody("UNAUTHORIZED", "a valid `Authorization: Bearer <token>` header is required"), 401);
    }
    if (!limiter.take(presented)) {
      return c.json(errorBody("RATE_LIMITED", `more than ${kernel.config.httpRatePerMinute} requests per minute`), 429);
    }
    await next();
  };
  app.use("/api/*", auth);
  app.use("/metrics", auth);
  app.use("/a2a", auth);
  // After auth: a body is read only for a caller holding the token.
  const guard = bodyGuard({ maxBytes: BODY_LIMIT_BYTES, maxDepth: JSON_MAX_DEPTH, maxValues: JSON_MAX_VALUES });
  app.use("/api/*", guard);
  app.use("/a2a", guard);

  app.notFound((c) => c.json(errorBody("NOT_FOUND", `no route ${c.req.method} ${c.req.path}`), 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      if (error.status === 400) return c.json(errorBody("JSON_MALFORMED", "the request body is not valid JSON"), 400);
      if (error.status === 413) return c.json(errorBody("BODY_TOO_LARGE", "request body too large"), 413);
      return c.json(errorBody("HTTP_ERROR", error.message), error.status);
    }
    const kernelError = toKernelError(error);
    const status = statusOf(kernelError);
    if (status >= 500) kernel.logger.error("request failed", { path: c.req.path, error: kernelError });
    const field = (kernelError.details as { field?: unknown } | undefined)?.field;
    return c.json(
      errorBody(kernelError.code, kernelError.message, typeof field === "string" ? field : undefined),
      status as 400,
    );
  });

  // ---- health and status --------------------------------------------------------------
  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      summary: "Liveness (no auth)",
      responses: { 200: json(HealthSchema, "Alive") },
    }),
    (c) =>
      c.json({ status: "ok" as const, version: KERNEL_VERSION, uptimeMs: kernel.clock.now() - kernel.startedAt }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/status",
      summary: "Modules, the model in use and the memory mode",
      security: secured,
      responses: { 200: json(StatusSchema, "Status"), 401: errors[401] },
    }),
    (c) => {
      const stats = kernel.memory.stats();
      return c.json(
        {
          version: KERNEL_VERSION,
          uptimeMs: kernel.clock.now() - kernel.startedAt,
          pid: process.pid,
          home: kernel.config.home,
          modules: { ...kernel.modules, mcp: kernel.interop.mcpState() },
          model: {
            spec: kernel.config.model,
            provider: kernel.model.provider,
            modelId: kernel.model.modelId,
            demo: kernel.model.provider === "demo",
          },
          memory: { mode: stats.mode, embedder: kernel.config.embedder, memories: stats.memories },
          interruptedRuns: kernel.interrupted,
          interop: {
            ...kernel.interop.status(),
            tools: kernel.tools
              .names()
              .filter((name) => name.startsWith("mcp__") || name.startsWith("a2a_") || name.startsWith("browser_")),
          },
        },
        200,
      );
    },
  );

  // ---- chat ------------------------------------------------------------------------
  const chatRequest = (body: z.infer<typeof ChatRequestSchema>, signal: AbortSignal) => ({
    text: body.message,
    signal,
    ...(body.sessionId ? { sessionId: body.sessionId } : {}),
    ...(body.spaceId ? { spaceId: body.spaceId } : {}),
  });
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/chat",
      summary: "One message through the orchestrator",
      security: secured,
      request: { body: { content: { "application/json": { schema: ChatRequestSchema } }, required: true } },
      responses: {
        200: json(OrchestrationResultSchema, "The orchestration result"),
        400: errors[400],
        401: errors[401],
        422: errors[422],
      },
    }),
    async (c) => c.json(await kernel.runtime.handle(chatRequest(c.req.valid("json"), c.req.raw.signal)), 200),
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/chat/stream",
      summary: "One message as server-sent events: phases, text deltas, tool events, the result",
      security: secured,
      request: { body: { content: { "application/json": { schema: ChatRequestSchema } }, required: true } },
      responses: { 200: sse, 400: errors[400], 401: errors[401], 422: errors[422] },
    }),
    (c) => {
      const body = c.req.valid("json");
      const controller = streams.open();
      const stream = kernel.runtime.stream(chatRequest(body, anySignal([controller.signal, c.req.raw.signal])));
      stream.result.then(undefined, (error: unknown) =>
        kernel.logger.info("chat stream ended with an error (sent to the client)", {
          error: toKernelError(error).code,
        }),
      );
      return streamSSE(c, async (sseStream) => {
        try {
          for await (const event of stream.events) {
            await sseStream.writeSSE({ event: event.type, data: JSON.stringify(event) });
          }
          await stream.result;
        } catch (error) {
          const failure = toKernelError(error);
          await sseStream.writeSSE({ event: "error", data: JSON.stringify(errorBody(failure.code, failure.message)) });
        } finally {
          streams.release(controller);
        }
      });
    },
  );

  // ---- runs --------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/runs",
      summary: "Start a direct run of a goal (answered once it is journalled)",
      security: secured,
      request: {
        headers: IdempotencyHeaders,
        body: { content: { "application/json": { schema: RunRequestSchema } }, required: true },
      },
      responses: {
        200: json(RunStartedSchema, "The run this Idempotency-Key started within the last 24 h (none is started)"),
        202: json(RunStartedSchema, "Journalled and queued"),
        400: errors[400],
        401: errors[401],
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
    createRoute({
      method: "get",
      path: "/api/runs",
      summary: "Runs of this process",
      security: secured,
      responses: { 200: json(z.object({ runs: z.array(RunSchema) }), "Runs"), 401: errors[401] },
    }),
    (c) => c.json({ runs: kernel.runs.list() }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/runs/{taskId}",
      summary: "A run's status and result",
      security: secured,
      request: {
        params: TaskParam,
        query: z.object({
          waitMs: z.coerce.number().int().min(0).max(60_000).optional().openapi({
            description: "long poll: wait up to this many ms for the run to finish before answering",
          }),
        }),
      },
      responses: { 200: json(RunSchema, "The run"), 401: errors[401], 404: errors[404], 422: errors[422] },
    }),
    async (c) => {
      const { taskId } = c.req.valid("param");
      const { waitMs } = c.req.valid("query");
      if (waitMs !== undefined && waitMs > 0) await kernel.runs.waitFor(taskId, waitMs, c.req.raw.signal);
      const run = await kernel.runs.load(taskId);
      if (run === undefined) throw new KernelError("RUN_NOT_FOUND", "no such run");
      return c.json(run, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/runs/{taskId}/cancel",
      summary: "Cancel a queued or running run",
      security: secured,
      request: { params: TaskParam },
      responses: { 200: json(CancelSchema, "Whether it was cancelled"), 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const { taskId } = c.req.valid("param");
      if ((await kernel.runs.load(taskId)) === undefined) throw new KernelError("RUN_NOT_FOUND", "no such run");
      return c.json({ taskId, cancelled: await kernel.runs.cancel(taskId, "cancelled over HTTP") }, 200);
    },
  );

  // ---- events ------------------------------------------------------------------------
  let streamCounter = 0;
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/events",
      summary: "Kernel events as server-sent events (keep-alive every 15 s)",
      security: secured,
      request: {
        query: z.object({ types: z.string().optional().openapi({ description: "comma-separated event types" }) }),
      },
      responses: { 200: sse, 401: errors[401], 422: errors[422] },
    }),
    (c) => {
      const types = list(c.req.valid("query").types);
      for (const type of types ?? []) {
        if (!isKernelEventType(type)) {
          throw new KernelError("EVENT_TYPES_INVALID", `unknown event type "${type}"`, { details: { field: "types" } });
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
        const keepAlive = setInterval(() => {
          stream.write(": keep-alive\n\n").catch((error: unknown) => {
            kernel.logger.debug("keep-alive write failed; the stream is closing", { error: String(error) });
          });
        }, SSE_KEEP_ALIVE_MS);
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

  // ---- agents ------------------------------------------------------------------------
  const agentView = (agent: ReturnType<Kernel["supervisor"]["list"]>[number]) => ({
    id: agent.id,
    name: agent.name,
    status: agent.status,
    createdAt: agent.createdAt,
    runs: agent.runs,
    ...(agent.lastError ? { lastError: agent.lastError } : {}),
  });
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/agents",
      summary: "Every agent",
      security: secured,
      responses: { 200: json(z.object({ agents: z.array(AgentSchema) }), "Agents"), 401: errors[401] },
    }),
    (c) => c.json({ agents: kernel.supervisor.list().map(agentView) }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/agents/{id}",
      summary: "One agent",
      security: secured,
      request: { params: IdParam },
      responses: { 200: json(AgentSchema, "The agent"), 401: errors[401], 404: errors[404] },
    }),
    (c) => {
      const agent = kernel.supervisor.get(c.req.valid("param").id);
      if (agent === undefined) throw new KernelError("AGENT_NOT_FOUND", "no such agent");
      return c.json(agentView(agent), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/agents/{id}/kill",
      summary: "Kill an agent (its run's signal aborts every tool)",
      security: secured,
      request: { params: IdParam },
      responses: { 200: json(AgentSchema, "The agent after the kill"), 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (kernel.supervisor.get(id) === undefined) throw new KernelError("AGENT_NOT_FOUND", "no such agent");
      return c.json(agentView(await kernel.supervisor.kill(id, "killed over HTTP")), 200);
    },
  );

  // ---- scheduler ---------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/scheduler/stats",
      summary: "Scheduler counters, gauges and latencies",
      security: secured,
      responses: { 200: json(z.record(z.string(), z.unknown()), "Stats"), 401: errors[401] },
    }),
    (c) => c.json({ ...kernel.scheduler.stats() }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/scheduler/tasks",
      summary: "Queued and running tasks",
      security: secured,
      responses: {
        200: json(z.object({ queued: z.array(z.unknown()), running: z.array(z.unknown()) }), "Tasks"),
        401: errors[401],
      },
    }),
    (c) => c.json({ queued: kernel.scheduler.queued(), running: kernel.scheduler.running() }, 200),
  );

  // ---- memory ------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/memory",
      summary: "List memories",
      security: secured,
      request: {
        query: z.object({
          type: z.string().optional(),
          tier: z.string().optional(),
          spaceId: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
      },
      responses: {
        200: json(z.object({ memories: z.array(MemorySchema) }), "Memories"),
        401: errors[401],
        422: errors[422],
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const entries = await kernel.memory.list({
        ...(query.type ? { types: [query.type as MemoryType] } : {}),
        ...(query.tier ? { tiers: [query.tier as MemoryTier] } : {}),
        ...(query.spaceId ? { spaceId: query.spaceId } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
      });
      return c.json({ memories: entries.map(memoryView) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/memory",
      summary: "Store a memory",
      security: secured,
      request: { body: { content: { "application/json": { schema: MemoryCreateSchema } }, required: true } },
      responses: { 201: json(MemorySchema, "The stored entry"), 400: errors[400], 401: errors[401], 422: errors[422] },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const entry = await kernel.memory.remember({
        content: body.content,
        type: (body.type ?? "fact") as MemoryType,
        source: "http",
        ...(body.tags ? { tags: body.tags } : {}),
        ...(body.spaceId ? { spaceId: body.spaceId } : {}),
        ...(body.importance === undefined ? {} : { importance: body.importance }),
      });
      return c.json(memoryView(entry), 201);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/memory/search",
      summary: "Hybrid search, best first",
      security: secured,
      request: { body: { content: { "application/json": { schema: MemorySearchSchema } }, required: true } },
      responses: {
        200: json(MemorySearchResultSchema, "Results"),
        400: errors[400],
        401: errors[401],
        422: errors[422],
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const hits = await kernel.memory.search(body.query, {
        ...(body.limit ? { limit: body.limit } : {}),
        ...(body.mode ? { mode: body.mode } : {}),
      });
      return c.json(
        {
          results: hits.map((hit) => ({
            ...memoryView(hit.entry),
            score: hit.score,
            ...(hit.vectorRank === undefined ? {} : { vectorRank: hit.vectorRank }),
            ...(hit.keywordRank === undefined ? {} : { keywordRank: hit.keywordRank }),
          })),
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/memory/{id}",
      summary: "One memory",
      security: secured,
      request: { params: IdParam },
      responses: { 200: json(MemorySchema, "The memory"), 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const entry = await kernel.memory.get(c.req.valid("param").id);
      if (entry === undefined) throw new KernelError("MEMORY_NOT_FOUND", "no such memory");
      return c.json(memoryView(entry), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/memory/{id}",
      summary: "Forget a memory",
      security: secured,
      request: { params: IdParam },
      responses: {
        200: json(z.object({ id: z.string(), deleted: z.literal(true) }), "Forgotten"),
        401: errors[401],
        404: errors[404],
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await kernel.memory.forget(id, "deleted over HTTP"))) {
        throw new KernelError("MEMORY_NOT_FOUND", "no such memory");
      }
      return c.json({ id, deleted: true as const }, 200);
    },
  );

  // ---- spaces ------------------------------------------------------------------------
  const spaceView = (space: Awaited<ReturnType<Kernel["spaces"]["get"]>>) => ({
    id: space.id,
    name: space.name,
    description: space.description,
    paths: [...space.paths],
    tags: [...space.tags],
    emoji: space.emoji,
    source: space.source,
    createdAt: space.createdAt,
    updatedAt: space.updatedAt,
  });
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/spaces",
      summary: "Every space (the default first)",
      security: secured,
      responses: { 200: json(z.object({ spaces: z.array(SpaceSchema) }), "Spaces"), 401: errors[401] },
    }),
    async (c) => c.json({ spaces: (await kernel.spaces.list()).map(spaceView) }, 200),
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/spaces",
      summary: "Create a space",
      security: secured,
      request: { body: { content: { "application/json": { schema: SpaceCreateSchema } }, required: true } },
      responses: { 201: json(SpaceSchema, "The space"), 400: errors[400], 401: errors[401], 422: errors[422] },
    }),
    async (c) => c.json(spaceView(await kernel.spaces.create({ ...c.req.valid("json"), source: "manual" })), 201),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/spaces/{id}",
      summary: "One space",
      security: secured,
      request: { params: IdParam },
      responses: { 200: json(SpaceSchema, "The space"), 401: errors[401], 404: errors[404] },
    }),
    async (c) => c.json(spaceView(await kernel.spaces.get(c.req.valid("param").id)), 200),
  );

  // ---- audit -------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/audit",
      summary: "Audit entries, oldest first",
      security: secured,
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
        401: errors[401],
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
    createRoute({
      method: "get",
      path: "/api/audit/verify",
      summary: "Verify the hash chain",
      security: secured,
      responses: { 200: json(AuditVerifySchema, "Verification"), 401: errors[401] },
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

  // ---- state and git -----------------------------------------------------------------
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/state/{category}",
      summary: "Entries of a state category",
      security: secured,
      request: {
        params: z.object({
          category: z
            .string()
            .min(1)
            .max(200)
            .openapi({ param: { name: "category", in: "path" } }),
        }),
      },
      responses: {
        200: json(
          z.object({
            category: z.string(),
            entries: z.array(z.object({ name: z.string(), format: z.string(), size: z.number(), savedAt: z.number() })),
          }),
          "Entries",
        ),
        401: errors[401],
        422: errors[422],
      },
    }),
    async (c) => {
      const { category } = c.req.valid("param");
      const entries = await kernel.state.list(category);
      return c.json(
        {
          category,
          entries: entries.map((entry) => ({
            name: entry.name,
            format: entry.format,
            size: entry.size,
            savedAt: entry.savedAt,
          })),
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/git/log",
      summary: "Commits of the state repository, newest first",
      security: secured,
      request: { query: z.object({ depth: z.coerce.number().int().min(1).max(1000).optional() }) },
      responses: { 200: json(z.object({ commits: z.array(GitCommitSchema) }), "Commits"), 401: errors[401] },
    }),
    async (c) => {
      const commits = await kernel.git.log({ depth: c.req.valid("query").depth ?? 20 });
      return c.json(
        {
          commits: commits.map((commit) => ({
            oid: commit.oid,
            message: commit.message,
            author: commit.author.name,
            timestamp: commit.author.timestamp,
          })),
        },
        200,
      );
    },
  );

  // ---- A2A ---------------------------------------------------------------------------
  // The SDK's transport reads the raw request (and answers streams with SSE), so these routes
  // are described in the document and handed to the A2A server as they are.
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "get",
      path: AGENT_CARD_PATH,
      summary: "The kernel's A2A agent card (no auth; A2A v1.0, JSON-RPC interface at /a2a)",
      responses: { 200: json(AgentCardSchema, "The agent card") },
    }),
  );
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/a2a",
      summary:
        "A2A JSON-RPC: SendMessage and SendStreamingMessage start a kernel run (status updates as server-sent events), GetTask, CancelTask cancels the run",
      security: secured,
      request: { body: { content: { "application/json": { schema: JsonRpcRequestSchema } }, required: true } },
      responses: {
        200: {
          description: "A JSON-RPC response, or server-sent events of stream responses for SendStreamingMessage",
          content: {
            "application/json": { schema: JsonRpcResponseSchema },
            "text/event-stream": { schema: z.string() },
          },
        },
        400: errors[400],
        401: errors[401],
      },
    }),
  );
  if (a2a !== undefined) {
    app.on(["GET", "HEAD"], AGENT_CARD_PATH, (c) => a2a.fetch(c.req.raw));
    app.post("/a2a", (c) => a2a.fetch(c.req.raw));
  }

  // ---- metrics and the document ------------------------------------------------------
  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      summary: "Prometheus text: tasks, agents, events, audit, memory, HTTP",
      security: secured,
      responses: {
        200: { description: "Metrics", content: { "text/plain": { schema: z.string() } } },
        401: errors[401],
      },
    }),
    (c) => c.text(metrics.render(kernel), 200, { "content-type": "text/plain; version=0.0.4" }),
  );

  app.doc31("/api/openapi.json", OPENAPI_CONFIG);
  return app;
}

export const OPENAPI_CONFIG = {
  openapi: "3.1.0",
  info: { title: "Oxios kernel API", version: KERNEL_VERSION },
} as const;
