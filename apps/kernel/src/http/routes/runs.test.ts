import { describe, expect, it } from "vitest";
import type { Kernel } from "../../kernel.ts";
import type { RunRecord } from "../../runs.ts";
import { errorResponse, toKernelError } from "../errors.ts";
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
