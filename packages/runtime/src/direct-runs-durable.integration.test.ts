import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryLogger } from "@oxios/core/testing";
import { GroupCommit } from "@oxios/database";
import { defineTool, InMemoryApprovalStore } from "@oxios/tools";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { openWorld, type World } from "./__fixtures__/kernel-world.ts";
import { TOOL_OUTCOME_UNKNOWN } from "./agent-loop.ts";
import type { RunHandle } from "./direct-runs.ts";
import { resolveModel } from "./providers/resolve-model.ts";
import { FakeLlmServer, type FakeRequest } from "./testing/fake-llm-server.ts";

let server: FakeLlmServer | undefined;
const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) await world.close();
  await server?.close();
  server = undefined;
});

const toolText = (request: FakeRequest) =>
  JSON.stringify((request.body.messages ?? []).filter((message) => message.role === "tool"));

/** Tools that count their executions; `poke` (not idempotent) waits while `held`. */
function countingTools() {
  const counts = { peek: 0, poke: 0 };
  let release: () => void = () => undefined;
  let startedPoke: () => void = () => undefined;
  const held = { on: false, started: new Promise<void>((resolve) => (startedPoke = resolve)) };
  const tools = [
    defineTool({
      name: "peek",
      description: "Looks.",
      input: z.object({}),
      family: "fs.read",
      idempotent: true,
      async execute() {
        counts.peek++;
        return { output: "peeked" };
      },
    }),
    defineTool({
      name: "poke",
      description: "Changes something.",
      input: z.object({}),
      family: "fs.read",
      async execute() {
        counts.poke++;
        startedPoke();
        if (held.on) await new Promise<void>((resolve) => (release = resolve));
        return { output: "poked" };
      },
    }),
  ];
  return { counts, tools, held, release: () => release() };
}

async function durableWorld(extra: Parameters<typeof openWorld>[0] extends infer O ? Partial<O> : never = {}) {
  const model = resolveModel("openai-compatible/fake", { baseUrl: (server as FakeLlmServer).baseUrl });
  const world = await openWorld({ model, durable: true, ...extra });
  worlds.push(world);
  return world;
}

describe("durable direct runs", () => {
  it("after a crash mid-tool-call the run resumes: journalled results are reused, the in-flight non-idempotent call is reported unknown", async () => {
    server = await FakeLlmServer.start({
      script: (request) =>
        toolText(request) === "[]"
          ? {
              toolCalls: [
                { name: "peek", arguments: {} },
                { name: "poke", arguments: {} },
              ],
            }
          : { text: `saw ${toolText(request)}` },
    });
    const before = countingTools();
    before.held.on = true;
    const first = await durableWorld({ extraTools: before.tools });
    const handle = first.runtime.runGoal({ goal: "peek and poke" });
    await handle.accepted;
    await before.held.started;
    // Wait for peek's result to be journalled, then take what a crash now would leave behind.
    await vi.waitFor(
      async () => {
        const steps = (await first.journal?.load(handle.taskId))?.steps ?? [];
        expect(steps.some((step) => step.kind === "tool-result" && step.name === "peek")).toBe(true);
      },
      { timeout: 60_000 },
    );
    const crashDir = mkdtempSync(join(tmpdir(), "oxios-runtime-crash-"));
    GroupCommit.for(first.database as NonNullable<World["database"]>).flush();
    first.database?.exec(`VACUUM INTO '${join(crashDir, "oxios.db")}'`);

    const after = countingTools();
    const second = await durableWorld({ dir: crashDir, extraTools: after.tools });
    const report = await second.scheduler.recover((_task, _signal, lease) => second.runtime.runs.resume(lease), {
      takeOverRunning: true,
    });
    expect(report.retried).toEqual([handle.taskId]);
    await Promise.all(report.requeued.map((task) => task.settled));
    await second.runtime.runs.settled();
    const record = await second.runtime.runs.load(handle.taskId);
    expect(record).toMatchObject({ status: "completed", resumes: 1, agentId: handle.agentId });
    expect(after.counts).toEqual({ peek: 0, poke: 0 });
    const seen = server.requests.at(-1) as FakeRequest;
    expect(toolText(seen)).toContain("peeked");
    expect(toolText(seen)).toContain(TOOL_OUTCOME_UNKNOWN);
    expect(second.publisher.ofType("run.resumed")).toMatchObject([
      { payload: { taskId: handle.taskId, agentId: handle.agentId, resumes: 1 } },
    ]);
    expect(await second.journal?.get(handle.taskId)).toMatchObject({ status: "completed", resumes: 1 });
    before.release();
    await handle.result;
  });

  it("a run whose lease is revoked once its tool-call step is durable stops before the tool runs, resumable with the call in flight", async () => {
    server = await FakeLlmServer.start({
      script: (request) =>
        toolText(request) === "[]" ? { toolCalls: [{ name: "poke", arguments: {} }] } : { text: "done" },
    });
    const { counts, tools } = countingTools();
    let world: World | undefined;
    // As a cluster node whose loop stalled past its lease: held until the run's tool-call step is journalled.
    world = await durableWorld({
      extraTools: tools,
      leaseHeld: (taskId) => (world?.journal?.stepCount(taskId) ?? 0) < 3,
    });
    const handle = world.runtime.runGoal({ goal: "poke" });
    await handle.accepted;
    // Interrupted, not ended: the caller here sees the run as it stands.
    expect(await handle.result).toMatchObject({ status: "running" });
    expect(counts.poke).toBe(0);
    const journalled = await world.journal?.load(handle.taskId);
    expect(journalled?.steps.map((step) => step.kind)).toEqual(["prompt", "model", "tool-call"]);
    // No end recorded: the run is resumable from its journal, where the call is in flight.
    expect(journalled?.run.record.status).toBe("running");
  });

  it("a call waiting for its approval when the process stopped waits on that same approval after the resume, and runs once approved", async () => {
    server = await FakeLlmServer.start({
      script: (request) =>
        toolText(request) === "[]"
          ? { toolCalls: [{ name: "poke", arguments: {} }] }
          : { text: `saw ${toolText(request)}` },
    });
    const approvalStore = new InMemoryApprovalStore();
    const needsApproval = { runtime: { identity: { permissions: { approvalRequired: ["poke"] } } }, approvalStore };
    const before = countingTools();
    const first = await durableWorld({ extraTools: before.tools, ...needsApproval });
    const handle = first.runtime.runGoal({ goal: "poke once approved" });
    await handle.accepted;
    await vi.waitFor(
      async () => {
        expect(first.tools.approvals.pending()).toHaveLength(1);
        const steps = (await first.journal?.load(handle.taskId))?.steps ?? [];
        expect(steps.some((step) => step.kind === "tool-call" && step.name === "poke")).toBe(true);
      },
      { timeout: 60_000 },
    );
    const [approval] = approvalStore.list({ status: "pending", limit: 10 });
    expect(approval).toMatchObject({ runId: handle.taskId, tool: "poke" });
    const crashDir = mkdtempSync(join(tmpdir(), "oxios-runtime-crash-"));
    GroupCommit.for(first.database as NonNullable<World["database"]>).flush();
    first.database?.exec(`VACUUM INTO '${join(crashDir, "oxios.db")}'`);

    const after = countingTools();
    const second = await durableWorld({ dir: crashDir, extraTools: after.tools, ...needsApproval });
    expect(second.tools.approvals.recoverInterrupted({ resuming: (runId) => runId === handle.taskId })).toEqual([]);
    const report = await second.scheduler.recover((_task, _signal, lease) => second.runtime.runs.resume(lease), {
      takeOverRunning: true,
    });
    expect(report.retried).toEqual([handle.taskId]);
    // The resumed run asks for the same call's approval again: it waits on the kept one.
    await vi.waitFor(
      () => expect(second.tools.approvals.restoredCall(handle.taskId, approval?.callId ?? "")).toBe(false),
      { timeout: 60_000 },
    );
    expect(after.counts.poke).toBe(0);
    second.tools.approvals.decide(approval?.approvalId ?? "", { approved: true, by: "operator:alice" });
    await Promise.all(report.requeued.map((task) => task.settled));
    await second.runtime.runs.settled();
    expect(await second.runtime.runs.load(handle.taskId)).toMatchObject({
      status: "completed",
      resumes: 1,
      toolCalls: [{ name: "poke", ok: true }],
    });
    expect(after.counts.poke).toBe(1);
    const seen = toolText(server.requests.at(-1) as FakeRequest);
    expect(seen).toContain("poked");
    expect(seen).not.toContain(TOOL_OUTCOME_UNKNOWN);
    expect(approvalStore.list({ limit: 10 })).toEqual([
      expect.objectContaining({ approvalId: approval?.approvalId, status: "approved", decidedBy: "operator:alice" }),
    ]);
  });

  it("50 concurrent submissions with one idempotency key make one run", async () => {
    server = await FakeLlmServer.start({ script: () => ({ text: "once" }) });
    const world = await durableWorld();
    const handles = Array.from({ length: 50 }, () =>
      world.runtime.runGoal({ goal: "only once", idempotencyKey: "order-1" }),
    );
    await Promise.all(handles.map((handle) => handle.accepted));
    expect(new Set(handles.map((handle) => handle.taskId)).size).toBe(1);
    expect(handles.filter((handle) => handle.created)).toHaveLength(1);
    const records = await Promise.all(handles.map((handle) => handle.result));
    expect(records.every((record) => record.status === "completed")).toBe(true);
    expect(server.requestCount).toBe(1);
    const again = world.runtime.runGoal({ goal: "only once", idempotencyKey: "order-1" });
    expect(again).toMatchObject({ taskId: handles[0]?.taskId, created: false });
    expect(await again.result).toMatchObject({ status: "completed", text: "once" });
  });

  it("a run's task id is made fresh: submitting it reads nothing back from the durable queue", async () => {
    server = await FakeLlmServer.start({ script: () => ({ text: "done" }) });
    const world = await durableWorld();
    const database = world.database as NonNullable<World["database"]>;
    const lookups: unknown[] = [];
    const get = database.get.bind(database);
    database.get = ((sql: string, params?: never) => {
      if (sql.startsWith("SELECT 1 AS found FROM scheduler_tasks")) lookups.push(params);
      return get(sql, params);
    }) as typeof database.get;
    const handles = [world.runtime.runGoal({ goal: "one" }), world.runtime.runGoal({ goal: "two" })];
    await Promise.all(handles.map((handle) => handle.accepted));
    expect(lookups).toEqual([]);
    expect(await Promise.all(handles.map((handle) => handle.result))).toEqual([
      expect.objectContaining({ status: "completed" }),
      expect.objectContaining({ status: "completed" }),
    ]);
  });

  it("concurrent submissions (some sharing a key) are each durable exactly once when acknowledged, in few transactions", async () => {
    server = await FakeLlmServer.start({ script: () => ({ hang: true }) });
    const world = await durableWorld();
    const database = world.database as NonNullable<World["database"]>;
    const committer = GroupCommit.for(database);
    const commitsBefore = committer.commits;
    // 300 submissions, ten per microtask (so later ones wait for the window, not the batch
    // limit): every fifth carries one of seven keys, the rest are new runs.
    const handles: RunHandle[] = [];
    for (let index = 0; index < 300; index++) {
      if (index % 10 === 0) await Promise.resolve();
      handles.push(
        world.runtime.runGoal({
          goal: `burst ${index}`,
          ...(index % 5 === 0 ? { idempotencyKey: `key-${index % 7}` } : {}),
        }),
      );
    }
    const stored = (taskId: string) => ({
      records: database.all("SELECT 1 FROM run_records WHERE task_id = ?", [taskId]).length,
      tasks: database.all("SELECT 1 FROM scheduler_tasks WHERE id = ?", [taskId]).length,
    });
    // Each acknowledgement finds its run's record and task committed, once each.
    await Promise.all(
      handles.map(async (handle) => {
        await handle.accepted;
        expect(stored(handle.taskId)).toEqual({ records: 1, tasks: 1 });
      }),
    );
    const created = handles.filter((handle) => handle.created);
    expect(created).toHaveLength(240 + 7);
    expect(new Set(created.map((handle) => handle.taskId)).size).toBe(created.length);
    expect(database.get<{ n: number }>("SELECT count(*) AS n FROM run_records")?.n).toBe(created.length);
    expect(database.get<{ n: number }>("SELECT count(*) AS n FROM scheduler_tasks")?.n).toBe(created.length);
    // 256 writes commit at once, the rest with the window: a handful of transactions, not 600.
    expect(committer.commits - commitsBefore).toBeLessThanOrEqual(6);
  });

  it("a drain leaves a running run resumable in the journal instead of ending it, its workspace kept", async () => {
    // The run writes a file (its workspace exists from its first tool call on), then hangs.
    server = await FakeLlmServer.start({
      script: (request) =>
        toolText(request) === "[]"
          ? { toolCalls: [{ name: "write", arguments: { path: "notes.txt", content: "x" } }] }
          : { hang: true },
    });
    const world = await durableWorld();
    const handle = world.runtime.runGoal({ goal: "hang" });
    await vi.waitFor(() => expect(server?.requestCount).toBe(2), { timeout: 60_000 });
    await vi.waitFor(() => expect(server?.inFlight).toBe(1), { timeout: 60_000 });
    const report = await world.scheduler.drain({ timeoutMs: 0 });
    expect(report.aborted).toEqual([handle.taskId]);
    const record = await handle.result;
    expect(record.status).toBe("running");
    expect(await world.journal?.get(handle.taskId)).toMatchObject({ status: "running" });
    expect(existsSync(join(world.dir, "agents", handle.agentId, "notes.txt"))).toBe(true);
  });

  it.each([
    { durable: true, stop: "a drain, then close" },
    { durable: false, stop: "close" },
  ])(
    "a shutdown ($stop) stopping N runs logs one info line with N, the runs at debug, a failure at info",
    async ({ durable }) => {
      const hung = 6;
      server = await FakeLlmServer.start({
        script: (request) =>
          JSON.stringify(request.body.messages).includes("doomed") ? { error: { status: 400 } } : { hang: true },
      });
      const logger = createMemoryLogger();
      const model = resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl });
      const world = await openWorld({ model, durable, runtime: { logger } });
      worlds.push(world);
      const doomed = world.runtime.runGoal({ goal: "doomed" });
      expect(await doomed.result).toMatchObject({ status: "failed" });
      const handles = Array.from({ length: hung }, (_, index) => world.runtime.runGoal({ goal: `hang ${index}` }));
      await vi.waitFor(() => expect(server?.inFlight).toBe(hung), { timeout: 60_000 });
      if (durable) expect((await world.scheduler.drain({ timeoutMs: 0 })).aborted).toHaveLength(hung);
      await world.runtime.close();
      await Promise.all(handles.map((handle) => handle.result));

      const summary = logger.find("info", "stopped by the kernel's shutdown");
      expect(summary).toHaveLength(1);
      expect(summary[0]?.fields).toMatchObject({ count: hung });
      expect(logger.find("debug", "stopped by the shutdown")).toHaveLength(hung);
      const perRun = logger.records.filter((record) => record.level === "info" && record.fields.taskId !== undefined);
      expect(perRun.map((record) => record.fields.taskId)).toEqual([doomed.taskId]);
    },
  );

  it("a run whose model calls no tool never creates a workspace", async () => {
    server = await FakeLlmServer.start({ script: () => ({ text: "no tools needed" }) });
    const world = await durableWorld({ runtime: { keepWorkspaces: true } });
    const handle = world.runtime.runGoal({ goal: "answer" });
    expect(await handle.result).toMatchObject({ status: "completed", text: "no tools needed" });
    expect(existsSync(join(world.dir, "agents", handle.agentId))).toBe(false);
  });

  it("a run that never names a path or runs a program makes no workspace, even when workspaces are kept", async () => {
    server = await FakeLlmServer.start({
      script: (request) =>
        toolText(request) === "[]"
          ? { toolCalls: [{ name: "memory_write", arguments: { content: "a fact" } }] }
          : { text: "remembered" },
    });
    const world = await durableWorld({ runtime: { keepWorkspaces: true } });
    const run = world.runtime.runGoal({ goal: "remember a fact" });
    expect(await run.result).toMatchObject({ status: "completed", toolCalls: [{ name: "memory_write", ok: true }] });
    expect(existsSync(join(world.dir, "agents", run.agentId))).toBe(false);
  });

  it("removes a finished run's workspace with its agent, unless asked to keep it", async () => {
    server = await FakeLlmServer.start({
      script: (request) =>
        toolText(request) === "[]"
          ? { toolCalls: [{ name: "write", arguments: { path: "notes.txt", content: "x" } }] }
          : { text: "written" },
    });
    const world = await durableWorld();
    const removed = world.runtime.runGoal({ goal: "write a note" });
    expect(await removed.result).toMatchObject({ status: "completed", toolCalls: [{ name: "write", ok: true }] });
    expect(existsSync(join(world.dir, "agents", removed.agentId))).toBe(false);

    const keeping = await durableWorld({ runtime: { keepWorkspaces: true } });
    const kept = keeping.runtime.runGoal({ goal: "write a note" });
    expect(await kept.result).toMatchObject({ status: "completed" });
    expect(existsSync(join(keeping.dir, "agents", kept.agentId, "notes.txt"))).toBe(true);
  });
});
