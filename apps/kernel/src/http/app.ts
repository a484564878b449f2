/**
 * The HTTP API (Hono + zod-openapi): every route declares its schemas, the OpenAPI document
 * at `/api/openapi.json` is generated from them, and every error is `{error: {code,
 * message}}` with its status — 400 malformed JSON (or nested deeper than 64, or more than
 * 10,000 values: refused by the body guard while the body arrives, before any parsing), 422
 * wrong types (naming the field), 413 over 10 MiB, 401 without a valid token, 404 unknown
 * route, 429 over the per-token rate.
 * The console's static files (console-assets.ts) answer `GET /` and `/assets/*` without auth.
 * The kernel's A2A server is mounted beside them: its agent card is public (like /health),
 * its JSON-RPC endpoint `/a2a` needs the token (like /api/*).
 *
 * This file is the composition: the middleware in its order (metrics, then on the secured
 * paths auth, rate limit and body guard), the error answers, and one sub-app per resource
 * from `routes/`. Each route there is declared with `securedRoute()` exactly when its path is
 * one of the secured paths below (`app.test.ts` checks it).
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import type { A2aServer } from "@oxios/tools/a2a";
import { HTTPException } from "hono/http-exception";
import { KernelErrorCode } from "../error-codes.ts";
import type { Kernel } from "../kernel.ts";
import { KERNEL_VERSION } from "../kernel.ts";
import { requireToken } from "./auth.ts";
import { BODY_LIMIT_BYTES, bodyGuard, JSON_MAX_DEPTH, JSON_MAX_VALUES } from "./body-guard.ts";
import { consoleRoutes } from "./console-assets.ts";
import { errorBody, errorResponse, statusOf, toKernelError } from "./errors.ts";
import { HttpMetrics } from "./metrics.ts";
import { RateLimiter } from "./rate-limit.ts";
import { createRouter } from "./router.ts";
import { a2aRoutes } from "./routes/a2a.ts";
import { agentsRoutes } from "./routes/agents.ts";
import { approvalsRoutes } from "./routes/approvals.ts";
import { auditRoutes } from "./routes/audit.ts";
import { chatRoutes } from "./routes/chat.ts";
import { clusterRoutes } from "./routes/cluster.ts";
import { configRoutes } from "./routes/config.ts";
import { eventsRoutes } from "./routes/events.ts";
import { gitRoutes } from "./routes/git.ts";
import { healthRoutes } from "./routes/health.ts";
import { memoryRoutes } from "./routes/memory.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { runEventsRoutes } from "./routes/run-events.ts";
import { runsRoutes } from "./routes/runs.ts";
import { schedulerRoutes } from "./routes/scheduler.ts";
import { schedulesRoutes } from "./routes/schedules.ts";
import { sessionsRoutes } from "./routes/sessions.ts";
import { spacesRoutes } from "./routes/spaces.ts";
import { stateRoutes } from "./routes/state.ts";
import { statusRoutes } from "./routes/status.ts";
import { BEARER_AUTH } from "./secured-route.ts";
import type { StreamRegistry } from "./stream-registry.ts";

export interface ApiOptions {
  kernel: Kernel;
  token: string;
  /** Ends every open event stream (called by the "stop intake" shutdown step). */
  streams: StreamRegistry;
  /** The kernel's A2A server; without it (the OpenAPI document alone) its routes are only described. */
  a2a?: A2aServer;
  /** The built console served at `/` (see console-assets.ts); without it `/` is the JSON 404. */
  consoleDir?: string;
}

export function createApi(options: ApiOptions): OpenAPIHono {
  const { kernel, token, streams, a2a, consoleDir } = options;
  const metrics = new HttpMetrics();
  const limiter = new RateLimiter(kernel.config.httpRatePerMinute, kernel.clock);
  const app = createRouter();
  app.openAPIRegistry.registerComponent("securitySchemes", BEARER_AUTH, { type: "http", scheme: "bearer" });

  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    metrics.record(c.req.method, c.res.status, performance.now() - started);
  });
  // The token, then its rate: the rate limit counts per presented token, so only a valid one.
  const auth = requireToken({ token, llmApiKey: kernel.config.llmApiKey, limiter });
  app.use("/api/*", auth);
  app.use("/metrics", auth);
  app.use("/a2a", auth);
  // After auth: a body is read only for a caller holding the token.
  const limits = { maxBytes: BODY_LIMIT_BYTES, maxDepth: JSON_MAX_DEPTH, maxValues: JSON_MAX_VALUES };
  app.use("/api/*", bodyGuard(limits));
  // The A2A server reads the request itself.
  app.use("/a2a", bodyGuard({ ...limits, rawRequest: true }));

  app.notFound((c) => errorResponse(c, KernelErrorCode.notFound, `no route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    // The framework's own refusals: a body that does not parse (400), one that is not JSON by
    // its Content-Type (415), or one too large (413). Any other HTTPException is unexpected here
    // and answered as an internal error below.
    if (error instanceof HTTPException && error.status === 400) {
      return errorResponse(c, KernelErrorCode.jsonMalformed, "the request body is not valid JSON");
    }
    if (error instanceof HTTPException && error.status === 415) {
      return errorResponse(
        c,
        KernelErrorCode.bodyNotJson,
        "this route takes a JSON body: send it with `Content-Type: application/json`",
      );
    }
    if (error instanceof HTTPException && error.status === 413) {
      return errorResponse(c, KernelErrorCode.bodyTooLarge, "request body too large");
    }
    const kernelError = toKernelError(error);
    const status = statusOf(kernelError);
    // A 503 is a refusal the kernel expects for a while (draining, a database full, busy or out
    // of reach) and logs where it arises, once per streak: one line per refused request would
    // flood the log under a burst.
    if (status === 503) kernel.logger.debug("request refused for now", { path: c.req.path, code: kernelError.code });
    else if (status >= 500) kernel.logger.error("request failed", { path: c.req.path, error: kernelError });
    const field = (kernelError.details as { field?: unknown } | undefined)?.field;
    return c.json(
      errorBody(kernelError.code, kernelError.message, typeof field === "string" ? field : undefined),
      status as 400,
    );
  });

  // Each sub-app holds the full paths of its routes, so a path reads the same in the code,
  // the document and docs/http-api.md; the order here is the order of the document.
  app.route("/", healthRoutes(kernel));
  app.route("/", statusRoutes(kernel));
  app.route("/", configRoutes(kernel));
  app.route("/", chatRoutes(kernel, streams));
  app.route("/", runsRoutes(kernel));
  app.route("/", runEventsRoutes(kernel, streams));
  app.route("/", eventsRoutes(kernel, streams));
  app.route("/", agentsRoutes(kernel));
  app.route("/", approvalsRoutes(kernel));
  app.route("/", sessionsRoutes(kernel));
  app.route("/", schedulerRoutes(kernel));
  app.route("/", clusterRoutes(kernel));
  app.route("/", schedulesRoutes(kernel));
  app.route("/", memoryRoutes(kernel));
  app.route("/", spacesRoutes(kernel));
  app.route("/", auditRoutes(kernel));
  app.route("/", stateRoutes(kernel));
  app.route("/", gitRoutes(kernel));
  app.route("/", a2aRoutes(a2a));
  app.route("/", metricsRoutes(kernel, metrics));
  // Last: only a GET of a file of the console's build is answered; anything else falls through.
  if (consoleDir !== undefined) app.route("/", consoleRoutes(consoleDir));

  app.doc31("/api/openapi.json", OPENAPI_CONFIG);
  return app;
}

export const OPENAPI_CONFIG = {
  openapi: "3.1.0",
  info: { title: "Oxios kernel API", version: KERNEL_VERSION },
} as const;
