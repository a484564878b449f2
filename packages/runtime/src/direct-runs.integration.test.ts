import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SecretRedactor } from "@oxios/core";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { arrivalBarrier } from "./__fixtures__/arrival-barrier.ts";
import { openWorld, type World } from "./__fixtures__/kernel-world.ts";
import { resolveModel } from "./providers/resolve-model.ts";
import { FakeLlmServer } from "./testing/fake-llm-server.ts";

let server: FakeLlmServer | undefined;
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
  await server?.close();
  server = undefined;
});

describe("runGoal: direct runs through scheduler + supervisor + loop", () => {
  it.each([20, 3])("20 runs with maxConcurrent %i: the model sees that many at once, never more", async (cap) => {
    // The model holds each reply until `cap` requests are in flight together.
    const arrive = arrivalBarrier(cap);
    server = await FakeLlmServer.start({
      script: async () => {
        await arrive();
        return { text: "done" };
      },
    });
    world = await openWorld({
      model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
      maxConcurrent: cap,
    });
    const handles = Array.from({ length: 20 }, (_, index) => world?.runtime.runGoal({ goal: `task ${index}` }));
    const records = await Promise.all(handles.map((handle) => handle?.result));
    expect(records.every((record) => record?.status === "completed" && record.text === "done")).toBe(true);
    expect(server.maxInFlight).toBe(cap);
  });

  it("a run nobody follows reads each model response whole; with an agent.output observer it streams", async () => {
    server = await FakeLlmServer.start({ script: () => ({ text: "done" }) });
    const model = resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl });
    world = await openWorld({ model, publisher: new RecordingPublisher({ unobserved: ["agent.output"] }) });
    const quiet = await world.runtime.runGoal({ goal: "nobody watches" }).result;
    expect(quiet).toMatchObject({ status: "completed", text: "done" });
    expect(server.requests.map((request) => request.stream)).toEqual([false]);
    expect(world.publisher.ofType("agent.output")).toHaveLength(0);
    await world.close();
    world = await openWorld({ model });
    const watched = await world.runtime.runGoal({ goal: "someone watches" }).result;
    expect(watched).toMatchObject({ status: "completed", text: "done" });
    expect(server.requests.map((request) => request.stream)).toEqual([false, true]);
    expect(
      world.publisher
        .ofType("agent.output")
        .map((event) => event.payload.text)
        .join(""),
    ).toBe("done");
  });

  it("keeps a secret the model quoted out of the run record, live and final", async () => {
    const key = "sk-direct-run-0123456789";
    server = await FakeLlmServer.start({ script: () => ({ text: `the key is ${key}` }) });
    world = await openWorld({
      model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
      runtime: { redactor: new SecretRedactor([{ label: "llm-api-key", value: key }]) },
    });
    const handle = world.runtime.runGoal({ goal: "quote the key" });
    const record = await handle.result;
    expect(record).toMatchObject({ status: "completed", text: "the key is [redacted:llm-api-key]" });
    expect(JSON.stringify(world.runtime.getRun(handle.taskId))).not.toContain(key);
  });

  it("budget exhaustion blocks admission through the real Scheduler's canAdmit", async () => {
    server = await FakeLlmServer.start({
      script: () => ({ text: "ok", usage: { promptTokens: 100, completionTokens: 50 } }),
    });
    world = await openWorld({ model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }) });
    // An agent the caller brings stays idle between runs, so its budget carries over.
    const agent = world.runtime.runner.spawn({ name: "spender" });
    const first = world.runtime.runGoal({ goal: "spend", agentId: agent.id });
    world.runtime.setBudget(first.agentId, 100);
    expect(await first.result).toMatchObject({ status: "completed", usage: { inputTokens: 100, outputTokens: 50 } });
    const requests = server.requestCount;
    const second = world.runtime.runGoal({ goal: "again", agentId: first.agentId });
    await vi.waitFor(() => expect(world?.scheduler.queued().map((task) => task.agentId)).toEqual([first.agentId]), {
      timeout: 15_000,
    });
    expect(world.runtime.getRun(second.taskId)?.status).toBe("queued");
    expect(server.requestCount).toBe(requests);
    world.runtime.setBudget(first.agentId, 10_000);
    expect(await second.result).toMatchObject({ status: "completed" });
  });

  it("cancels a queued run: it leaves the scheduler's queue and never reaches the model", async () => {
    // The first run's model reply is held until the queued run has been cancelled.
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    server = await FakeLlmServer.start({
      script: async () => {
        await firstHeld;
        return { text: "done" };
      },
    });
    world = await openWorld({
      model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
      maxConcurrent: 1,
    });
    const running = world.runtime.runGoal({ goal: "first" });
    const queued = world.runtime.runGoal({ goal: "second" });
    await vi.waitFor(() => expect(world?.scheduler.queued()).toHaveLength(1), { timeout: 60_000 });
    expect(await world.runtime.cancelRun(queued.taskId)).toBe(true);
    expect((await queued.result).status).toBe("cancelled");
    releaseFirst();
    expect((await running.result).status).toBe("completed");
    expect(server.requestCount).toBe(1);
    expect(await world.runtime.cancelRun(queued.taskId)).toBe(false);
  });

  it("ends the one-shot agent of a direct run once the run has settled", async () => {
    world = await openWorld({ model: resolveModel("demo", {}) });
    const run = world.runtime.runGoal({ goal: "list the files" });
    expect((await run.result).status).toBe("completed");
    expect(world.supervisor.get(run.agentId)?.status).toBe("stopped");
  });

  it("an agent's token budget entry ends with the agent", async () => {
    world = await openWorld({ model: resolveModel("demo", {}) });
    const runs = Array.from({ length: 5 }, (_, index) => world?.runtime.runGoal({ goal: `say hello ${index}` }));
    for (const run of runs) expect((await run?.result)?.status).toBe("completed");
    // Every one-shot agent used tokens and has ended: nothing is kept for it.
    expect(world.budgets.tracked()).toBe(0);
    const kept = world.runtime.runner.spawn({ name: "kept" });
    world.runtime.setBudget(kept.id, 1_000);
    expect((await world.runtime.runGoal({ goal: "say hello", agentId: kept.id }).result).status).toBe("completed");
    expect(world.budgets.tracked()).toBe(1);
    await world.supervisor.kill(kept.id, "done with it");
    expect(world.budgets.tracked()).toBe(0);
  });

  it("refuses an empty goal", async () => {
    world = await openWorld({ model: resolveModel("demo", {}) });
    expect(() => world?.runtime.runGoal({ goal: "  " })).toThrowError(
      expect.objectContaining({ code: "RUNTIME_MESSAGE_EMPTY" }),
    );
  });
});

describe("the demo model's intents perform their real tool calls through the gate", () => {
  it("memory_write stores in the real MemoryStore, memory_search finds it", async () => {
    world = await openWorld({ model: resolveModel("demo", {}) });
    const write = await world.runtime.runGoal({ goal: "remember that the cat is called Mia" }).result;
    expect(write).toMatchObject({ status: "completed", toolCalls: [{ name: "memory_write", ok: true }] });
    const stored = await world.memory.search("cat called Mia", { limit: 1 });
    expect(stored[0]?.entry.content).toBe("the cat is called Mia");
    const search = await world.runtime.runGoal({ goal: "what do you remember about the cat?" }).result;
    expect(search).toMatchObject({ status: "completed", toolCalls: [{ name: "memory_search", ok: true }] });
    expect(search.text).toContain("Mia");
    const decisions = world.audit.entries.map((entry) => [entry.action, entry.resource]);
    expect(decisions).toContainEqual(["tool.allowed", "memory_write"]);
    expect(decisions).toContainEqual(["tool.allowed", "memory_search"]);
  });

  it("ls lists the agent's workspace; exec runs a structured command", async () => {
    world = await openWorld({ model: resolveModel("demo", {}) });
    const agent = world.runtime.runner.spawn({ name: "lister" });
    const workspace = join(world.dir, "agents", agent.id);
    await mkdir(workspace, { recursive: true });
    await writeFile(join(workspace, "hello.txt"), "hi");
    const ls = await world.runtime.runGoal({ goal: "list the files", agentId: agent.id }).result;
    expect(ls).toMatchObject({ status: "completed", toolCalls: [{ name: "ls", ok: true }] });
    expect(ls.text).toContain("hello.txt");
    const exec = await world.runtime.runGoal({ goal: "run `echo hello`" }).result;
    expect(exec).toMatchObject({ status: "completed", toolCalls: [{ name: "exec", ok: true }] });
    expect(exec.text).toContain("hello");
  });

  it("the whole pipeline on the demo model: a request becomes a seed that passes mechanically", async () => {
    world = await openWorld({ model: resolveModel("demo", {}) });
    const result = await world.runtime.handle({
      text: "remember that the oven is at 180 degrees",
      sessionId: "demo-1",
    });
    expect(result).toMatchObject({ kind: "task", evaluationPassed: true, exitCode: 0, generations: 1 });
    expect(result.response.startsWith("[demo]")).toBe(true);
    const chat = await world.runtime.handle({ text: "hello", sessionId: "demo-1" });
    expect(chat).toMatchObject({ kind: "chat", exitCode: 0 });
    expect(chat.response.startsWith("[demo]")).toBe(true);
  });
});
