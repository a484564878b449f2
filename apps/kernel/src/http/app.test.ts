import { ManualClock } from "@oxios/core/testing";
import type { A2aServer } from "@oxios/tools/a2a";
import { describe, expect, it } from "vitest";
import type { Kernel } from "../kernel.ts";
import { createApi, OPENAPI_CONFIG } from "./app.ts";
import { StreamRegistry } from "./stream-registry.ts";

const TOKEN = "app-test-token-0123456789";

interface Operation {
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/**
 * The composed app over a kernel holding only what the middleware, /health and the document
 * read: a handler that reaches further fails the test instead of answering.
 */
function testApi(options: { ratePerMinute?: number; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock();
  const kernel = {
    config: { httpRatePerMinute: options.ratePerMinute ?? 1000, llmApiKey: "sk-llm-key-never-a-token" },
    clock,
    startedAt: clock.now(),
    lifecycle: { ready: true, draining: false },
  } as unknown as Kernel;
  const a2a = { fetch: async () => Response.json({ name: "card" }) } as unknown as A2aServer;
  return createApi({ kernel, token: TOKEN, streams: new StreamRegistry(), a2a });
}

function operations(app: ReturnType<typeof createApi>) {
  const document = app.getOpenAPI31Document(OPENAPI_CONFIG) as unknown as {
    paths: Record<string, Record<string, Operation>>;
  };
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  );
}

/** A concrete URL for a documented path: every `{parameter}` filled. */
function concrete(path: string): string {
  return path.replaceAll(/\{[^}]+\}/g, "x");
}

function bearer(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } };
}

describe("the composed HTTP app", () => {
  it("documents 401 and 429 on every secured route, and 400 and 413 on those taking a body", () => {
    const all = operations(testApi());
    const secured = all.filter(({ operation }) => operation.security !== undefined);
    expect(secured.length).toBeGreaterThan(20);
    for (const { path, method, operation } of secured) {
      const statuses = Object.keys(operation.responses);
      expect(operation.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
      expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(["401", "429"]));
      if (operation.requestBody !== undefined) {
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(["400", "413"]));
      }
    }
    for (const { path, method, operation } of all.filter(({ operation }) => operation.security === undefined)) {
      expect(Object.keys(operation.responses), `${method} ${path}`).not.toContain("401");
    }
  });

  it("refuses a request without the token exactly on the routes the document secures", async () => {
    const app = testApi();
    for (const { path, method, operation } of operations(app)) {
      const anonymous = await app.request(concrete(path), { method });
      const wrongToken = await app.request(concrete(path), { method, ...bearer("not-the-token-at-all") });
      const label = `${method} ${path} (${operation.security ? "secured" : "public"})`;
      expect(anonymous.status === 401, label).toBe(operation.security !== undefined);
      expect(wrongToken.status === 401, label).toBe(operation.security !== undefined);
      if (anonymous.status === 401) expect(await anonymous.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    }
  });

  it("refuses the LLM provider key as a token, even when it is the API token too", async () => {
    const app = testApi();
    const refused = await app.request("/api/openapi.json", bearer("sk-llm-key-never-a-token"));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    const kernel = {
      config: { httpRatePerMinute: 1000, llmApiKey: TOKEN },
      clock: new ManualClock(),
      lifecycle: { ready: true, draining: false },
    } as unknown as Kernel;
    const same = createApi({ kernel, token: TOKEN, streams: new StreamRegistry() });
    expect((await same.request("/api/openapi.json", bearer(TOKEN))).status).toBe(401);
  });

  it("serves no route the document does not describe, but the document itself", () => {
    const app = testApi();
    const documented = new Set(operations(app).map(({ path, method }) => `${method} ${path}`));
    const served = app.routes
      .filter((route) => route.method !== "ALL")
      .map((route) => `${route.method} ${route.path.replaceAll(/:([^/]+)/g, "{$1}")}`);
    const undocumented = served.filter((route) => !documented.has(route));
    // HEAD of the agent card is the GET the document describes.
    expect(undocumented).toEqual(["HEAD /.well-known/agent-card.json", "GET /api/openapi.json"]);
  });

  it("limits requests per token after authenticating them, and refills on the clock", async () => {
    const clock = new ManualClock();
    const app = testApi({ ratePerMinute: 2, clock });
    // Refused callers spend nothing: the limit counts valid tokens only.
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await app.request("/api/openapi.json")).status).toBe(401);
      expect((await app.request("/api/openapi.json", bearer("not-the-token-at-all"))).status).toBe(401);
    }
    expect((await app.request("/api/openapi.json", bearer(TOKEN))).status).toBe(200);
    expect((await app.request("/a2a", { method: "POST", body: "{}", ...bearer(TOKEN) })).status).toBe(200);
    // One bucket per token across every secured path.
    const limited = await app.request("/metrics", bearer(TOKEN));
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      error: { code: "RATE_LIMITED", message: "more than 2 requests per minute" },
    });
    // Over the rate, a missing token is still told 401, not 429.
    expect((await app.request("/api/openapi.json")).status).toBe(401);
    clock.advance(30_000);
    expect((await app.request("/api/openapi.json", bearer(TOKEN))).status).toBe(200);
    expect((await app.request("/api/openapi.json", bearer(TOKEN))).status).toBe(429);
  });
});
