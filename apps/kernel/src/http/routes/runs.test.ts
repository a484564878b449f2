import { ManualClock } from "@oxios/core/testing";
import type { RunGoalRequest } from "@oxios/runtime";
import { describe, expect, it } from "vitest";
import type { Kernel } from "../../kernel.ts";
import type { RunRecord } from "../../runs.ts";
import { createApi } from "../app.ts";
import { errorResponse, toKernelError } from "../errors.ts";
import { StreamRegistry } from "../stream-registry.ts";
import { runsRoutes } from "./runs.ts";

const STATUSES = ["queued", "running", "completed", "failed", "cancelled"] as const;

function record(index: number): RunRecord {
  return {
    taskId: `task-${index}`,
    agentId: `agent-${index}`,
    goal: `goal ${index}`,
    priority: "normal",
    status: STATUSES[index % STATUSES.length] as RunRecord["status"],
    ...(index % 2 === 0 ? { agent: "even" } : {}),
    createdAt: index,
  } as RunRecord;
}

/** The routes over a run service holding 25 runs (oldest first) and the steps of task-1. */
function routes() {
  const all = Array.from({ length: 25 }, (_, index) => record(index));
  const runs = {
    list: () => [...all],
    steps: async (taskId: string) =>
      taskId === "task-1" ? [{ kind: "prompt", system: "s", input: "goal 1" }] : undefined,
  };
  const app = runsRoutes({ runs } as unknown as Pick<Kernel, "runs">);
  // As the composed app answers a thrown KernelError (app.ts).
  app.onError((error, c) => {
    const failure = toKernelError(error);
    return errorResponse(c, failure.code, failure.message);
  });
  return app;
}

async function page(query: string): Promise<{ ids: string[]; total: number }> {
  const response = await routes().request(`/api/runs${query}`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { runs: RunRecord[]; total: number };
  return { ids: body.runs.map((run) => run.taskId), total: body.total };
}

describe("GET /api/runs", () => {
  it("lists every run oldest first without a query", async () => {
    const { ids, total } = await page("");
    expect(total).toBe(25);
    expect(ids[0]).toBe("task-0");
    expect(ids.at(-1)).toBe("task-24");
  });

  it("filters by status and by agent profile, counting the filtered list", async () => {
    expect(await page("?status=failed")).toEqual({
      ids: ["task-3", "task-8", "task-13", "task-18", "task-23"],
      total: 5,
    });
    expect(await page("?status=failed&agent=even")).toEqual({ ids: ["task-8", "task-18"], total: 2 });
  });

  it("pages newest first with offset and limit", async () => {
    expect(await page("?order=newest&limit=3")).toEqual({ ids: ["task-24", "task-23", "task-22"], total: 25 });
    expect(await page("?order=newest&offset=3&limit=2")).toEqual({ ids: ["task-21", "task-20"], total: 25 });
    expect(await page("?offset=24&limit=10")).toEqual({ ids: ["task-24"], total: 25 });
  });

  it("refuses a bad status or limit with 422 naming the field", async () => {
    const response = await routes().request("/api/runs?limit=0");
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ error: { code: "BODY_INVALID", field: "limit" } });
    expect((await routes().request("/api/runs?status=sleeping")).status).toBe(422);
  });
});

describe("GET /api/runs/{taskId}/steps", () => {
  it("answers a run's journalled steps, and 404 RUN_NOT_FOUND for an unknown run", async () => {
    const found = await routes().request("/api/runs/task-1/steps");
    expect(await found.json()).toEqual({ taskId: "task-1", steps: [{ kind: "prompt", system: "s", input: "goal 1" }] });
    const missing = await routes().request("/api/runs/nope/steps");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "RUN_NOT_FOUND" } });
  });
});

const TOKEN = "runs-test-token-0123456789";

/**
 * The composed app (token, rate limit, body guard, error answers of `app.ts`) over a run
 * service that records what the routes hand it.
 */
function composed() {
  const clock = new ManualClock();
  const started: RunGoalRequest[] = [];
  const waits: Array<{ taskId: string; waitMs: number; signal: AbortSignal | undefined }> = [];
  const runs = {
    start: async (request: RunGoalRequest) => {
      started.push(request);
      return { taskId: "task-7", agentId: "agent-7", created: request.idempotencyKey !== "seen-before" };
    },
    waitFor: async (taskId: string, waitMs: number, signal?: AbortSignal) => {
      waits.push({ taskId, waitMs, signal });
    },
    load: async (taskId: string) => (taskId === "task-7" ? record(7) : undefined),
  };
  const kernel = {
    config: { httpRatePerMinute: 1000, llmApiKey: undefined },
    clock,
    startedAt: clock.now(),
    lifecycle: { ready: true, draining: false },
    runs,
  } as unknown as Kernel;
  const app = createApi({ kernel, token: TOKEN, streams: new StreamRegistry() });
  const request = (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    app.request(path, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  return { request, started, waits };
}

describe("POST /api/runs with a body that is not JSON by its Content-Type", () => {
  it("answers 400 BODY_NOT_JSON, not an internal error, and starts nothing", async () => {
    const { request, started } = composed();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", ""]) {
      const response = await request("/api/runs", {
        method: "POST",
        body: JSON.stringify({ goal: "write notes" }),
        headers: { "content-type": type },
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("BODY_NOT_JSON");
    }
    expect(started).toEqual([]);
  });
});

describe("POST /api/runs and its Idempotency-Key", () => {
  it("hands a quoted or bare key to the run service unquoted, and none without the header", async () => {
    const { request, started } = composed();
    const body = JSON.stringify({ goal: "write notes" });
    const quoted = await request("/api/runs", { method: "POST", body, headers: { "idempotency-key": '"order-7"' } });
    expect(quoted.status).toBe(202);
    expect(await quoted.json()).toEqual({ taskId: "task-7", agentId: "agent-7" });
    const again = await request("/api/runs", { method: "POST", body, headers: { "Idempotency-Key": "seen-before" } });
    expect(again.status).toBe(200);
    expect((await request("/api/runs", { method: "POST", body })).status).toBe(202);
    expect(started).toEqual([
      { goal: "write notes", idempotencyKey: "order-7" },
      { goal: "write notes", idempotencyKey: "seen-before" },
      { goal: "write notes" },
    ]);
  });

  it("refuses a malformed key with 422 naming the header, before the body is read, starting nothing", async () => {
    const { request, started } = composed();
    const expected = {
      error: {
        code: "BODY_INVALID",
        message: "idempotency-key: 1–255 visible ASCII characters",
        field: "idempotency-key",
      },
    };
    for (const key of ["has space", "", "x".repeat(256), "caf\u00e9"]) {
      // A body that is not JSON: the header's answer comes first, as the header validator's did.
      const response = await request("/api/runs", {
        method: "POST",
        body: "{not json",
        headers: { "idempotency-key": key },
      });
      expect(response.status, JSON.stringify(key)).toBe(422);
      expect(await response.json()).toEqual(expected);
    }
    // A good key does not excuse a bad body: that is still refused as before.
    const malformed = await request("/api/runs", {
      method: "POST",
      body: "{not json",
      headers: { "idempotency-key": "fine" },
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: "JSON_MALFORMED" } });
    expect(started).toEqual([]);
  });
});

describe("GET /api/runs/{taskId}", () => {
  it("waits for the run as long as waitMs says, with the request's signal, then answers it", async () => {
    const { request, waits } = composed();
    const response = await request("/api/runs/task-7?waitMs=30000");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(record(7));
    expect(await (await request("/api/runs/task-7?waitMs=0")).json()).toEqual(record(7));
    expect(await (await request("/api/runs/task-7?other=1")).json()).toEqual(record(7));
    expect(waits.map(({ taskId, waitMs }) => ({ taskId, waitMs }))).toEqual([{ taskId: "task-7", waitMs: 30_000 }]);
    expect(waits[0]?.signal).toBeInstanceOf(AbortSignal);
    const missing = await request("/api/runs/task-8");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "RUN_NOT_FOUND" } });
  });

  it("refuses a bad waitMs or task id with 422 naming the field, the query's first, waiting for nothing", async () => {
    const { request, waits } = composed();
    const refusal = async (path: string) => {
      const response = await request(path);
      expect(response.status, path).toBe(422);
      return ((await response.json()) as { error: { code: string; field: string; message: string } }).error;
    };
    for (const query of ["waitMs=60001", "waitMs=-1", "waitMs=1.5", "waitMs=soon", "waitMs=1&waitMs=2"]) {
      expect(await refusal(`/api/runs/task-7?${query}`)).toMatchObject({ code: "BODY_INVALID", field: "waitMs" });
    }
    expect((await refusal("/api/runs/task-7?waitMs=60001")).message).toBe(
      "waitMs: Too big: expected number to be <=60000",
    );
    const long = "t".repeat(257);
    expect(await refusal(`/api/runs/${long}`)).toMatchObject({ code: "BODY_INVALID", field: "taskId" });
    expect(await refusal(`/api/runs/${long}?waitMs=soon`)).toMatchObject({ field: "waitMs" });
    expect(waits).toEqual([]);
  });
});
