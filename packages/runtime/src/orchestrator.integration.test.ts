import { defineTool } from "@oxios/tools";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { arrivalBarrier } from "./__fixtures__/arrival-barrier.ts";
import { openWorld, type World } from "./__fixtures__/kernel-world.ts";
import type { OrchestrationEvent } from "./orchestrator.ts";
import { resolveModel } from "./providers/resolve-model.ts";
import { FakeLlmServer, type FakeReply, type FakeRequest, lastUserText } from "./testing/fake-llm-server.ts";
import { InMemoryAgentMemoryPort } from "./testing/in-memory-agent-memory-port.ts";

let server: FakeLlmServer | undefined;
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
  await server?.close();
  server = undefined;
});

const clearTask = (criteria: string[], goal = "say the colour") => ({
  isTask: true,
  chatResponse: "",
  complexity: "simple",
  questions: [],
  clarity: { goal: 1, constraints: 1, criteria: 1 },
  goal,
  constraints: [],
  acceptanceCriteria: criteria,
});

function kindOf(request: FakeRequest): "interview" | "judge" | "seed" | "agent" {
  const format = JSON.stringify(request.body.response_format ?? "");
  if (format.includes("isTask")) return "interview";
  if (format.includes("scores")) return "judge";
  if (request.body.response_format) return "seed";
  return "agent";
}

function systemText(request: FakeRequest): string {
  const system = request.body.messages?.find((message) => message.role === "system");
  return typeof system?.content === "string" ? system.content : JSON.stringify(system?.content ?? "");
}

async function start(
  responder: (request: FakeRequest) => FakeReply,
  extra: Parameters<typeof openWorld>[0] extends infer O ? Partial<O> : never = {},
) {
  server = await FakeLlmServer.start({ script: responder });
  world = await openWorld({ model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }), ...extra });
  return { server, world };
}

describe("Orchestrator: the Ouroboros pipeline against the fake server", () => {
  it("answers a chat message: space detected, buffer appended, events published", async () => {
    const { world } = await start(() => ({ json: { ...clearTask([]), isTask: false, chatResponse: "Hello there!" } }));
    const result = await world.runtime.handle({ text: "hi!", sessionId: "s-chat" });
    expect(result).toMatchObject({
      response: "Hello there!",
      kind: "chat",
      sessionId: "s-chat",
      spaceId: "default",
      phaseReached: "interview",
      exitCode: 0,
    });
    expect(result.spaceTag).toContain("Default");
    const turns = await world.spaces.conversations.turns("s-chat");
    expect(turns.map((turn) => [turn.role, turn.content])).toEqual([
      ["user", "hi!"],
      ["assistant", "Hello there!"],
    ]);
    const types = world.publisher.types();
    expect(types).toContain("message.received");
    expect(world.publisher.ofType("phase.started").map((event) => event.payload.phase)).toEqual(["space", "interview"]);
  });

  it("asks clarifying questions, and a new orchestrator over the same state dir continues the session", async () => {
    const vague = {
      ...clearTask([]),
      complexity: "moderate",
      questions: ["Which file?", "What format?"],
      clarity: { goal: 0.5, constraints: 0.2, criteria: 0.1 },
    };
    const { server, world: first } = await start((request) => {
      if (kindOf(request) === "interview") {
        const prompt = lastUserText(request.body);
        return prompt.includes("notes.md in markdown")
          ? { json: clearTask(['the answer contains "written"'], "write notes") }
          : { json: vague };
      }
      return { text: "notes written" };
    });
    const asked = await first.runtime.handle({ text: "write some notes", sessionId: "s-restart" });
    expect(asked).toMatchObject({ kind: "questions", phaseReached: "interview", exitCode: 0 });
    expect(asked.response).toContain("Which file?");
    const dir = first.dir;
    const spaceStore = first.spaceStore;
    await first.close({ keepDir: true });

    world = await openWorld({
      model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
      dir,
      spaceStore,
    });
    const done = await world.runtime.handle({ text: "notes.md in markdown", sessionId: "s-restart" });
    expect(done).toMatchObject({ kind: "task", evaluationPassed: true, exitCode: 0 });
    // The second interview saw the whole session: the first message, the questions, the answer.
    const interviews = server.requests.filter((request) => kindOf(request) === "interview");
    const transcript = lastUserText(interviews.at(-1)?.body ?? {});
    expect(transcript).toContain("write some notes");
    expect(transcript).toContain("Which file?");
    // The seed is a state file and a git commit.
    expect(await world.state.load("seeds", done.seedId ?? "")).toMatchObject({ goal: "write notes" });
    const log = await world.git.log({ depth: 5 });
    expect(log.some((commit) => commit.message.includes(`seed ${done.seedId}`))).toBe(true);
  });

  it("seeds, runs, evaluates mechanically, evolves once and keeps the passing run; stores the episode", async () => {
    const { server, world } = await start((request) => {
      const kind = kindOf(request);
      if (kind === "interview") return { json: clearTask(['the answer contains "BLUE"']) };
      if (kind === "judge") throw new Error("the judge must not be called for a mechanical criterion");
      return {
        text: systemText(request).includes("Previous attempt missed") ? "the colour is BLUE" : "the colour is red",
      };
    });
    const result = await world.runtime.handle({ text: "what colour is the sky?", sessionId: "s-evolve" });
    expect(result).toMatchObject({
      kind: "task",
      response: "the colour is BLUE",
      phaseReached: "evolve",
      evaluationPassed: true,
      score: 1,
      generations: 2,
      exitCode: 0,
    });
    expect(result.agentId).toBeTruthy();
    const evaluations = world.publisher.ofType("evaluation.completed").map((event) => event.payload);
    expect(evaluations).toEqual([
      { seedId: result.seedId, score: 0, passed: false, generation: 0 },
      { seedId: result.seedId, score: 1, passed: true, generation: 1 },
    ]);
    expect(world.publisher.ofType("evolution.started").map((event) => event.payload.generation)).toEqual([1]);
    expect(world.publisher.ofType("seed.created")).toHaveLength(1);
    expect(server.requests.filter((request) => kindOf(request) === "judge")).toHaveLength(0);
    // Every run was admitted by the scheduler.
    expect(world.scheduler.stats().admitted).toBe(2);
    const episodes = await world.memory.list({ types: ["episode"] });
    expect(episodes.map((entry) => entry.content).join()).toContain("BLUE");
    expect(world.publisher.ofType("memory.stored").length).toBeGreaterThan(0);
  });

  it("the episode is stored before handle resolves", async () => {
    // The store records a macrotask after the call: only an awaited store is there in time.
    const memory = new InMemoryAgentMemoryPort({ asynchronous: true });
    const { world } = await start(
      (request) =>
        kindOf(request) === "interview" ? { json: clearTask(['the answer contains "BLUE"']) } : { text: "BLUE" },
      { runtime: { memory } },
    );
    const result = await world.runtime.handle({ text: "what colour is the sky?", sessionId: "s-episode" });
    expect(result).toMatchObject({ kind: "task", evaluationPassed: true });
    expect(memory.stored.filter((entry) => entry.type === "episode")).toMatchObject([
      { type: "episode", sessionId: "s-episode", content: expect.stringContaining("BLUE") },
    ]);
  });

  it("stops after 3 evolutions, keeps the best, publishes evolution.max-reached and exits 1", async () => {
    const { world } = await start((request) =>
      kindOf(request) === "interview" ? { json: clearTask(['the answer contains "never"']) } : { text: "nope" },
    );
    const result = await world.runtime.handle({ text: "do the impossible", sessionId: "s-max" });
    expect(result).toMatchObject({ evaluationPassed: false, exitCode: 1, generations: 4, score: 0 });
    expect(world.publisher.ofType("evolution.started")).toHaveLength(3);
    expect(world.publisher.ofType("evolution.max-reached").map((event) => event.payload)).toEqual([
      { seedId: result.seedId, generations: 4, bestScore: 0 },
    ]);
  });

  it("asks the model to judge only when the mechanical check is inconclusive", async () => {
    const { server, world } = await start((request) => {
      const kind = kindOf(request);
      if (kind === "interview") return { json: clearTask(["the reply is polite"]) };
      if (kind === "judge") return { json: { scores: [{ score: 0.9, reason: "polite" }] } };
      return { text: "Thank you kindly." };
    });
    const result = await world.runtime.handle({ text: "be nice", sessionId: "s-judge" });
    expect(result).toMatchObject({ evaluationPassed: true, score: 0.9, generations: 1 });
    expect(server.requests.filter((request) => kindOf(request) === "judge")).toHaveLength(1);
  });

  it("splits five or more criteria into an agent group that runs in parallel", async () => {
    const criteria = ["a", "b", "c", "d", "e"].map((letter) => `the answer contains "${letter}-done"`);
    const arrive = arrivalBarrier(5);
    server = await FakeLlmServer.start({
      script: async (request) => {
        if (kindOf(request) === "interview") return { json: clearTask(criteria, "five things") };
        await arrive();
        const letters = [...systemText(request).matchAll(/"([a-e])-done"/g)].map((match) => `${match[1]}-done`);
        return { text: letters.join(" ") };
      },
    });
    world = await openWorld({ model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }) });
    const result = await world.runtime.handle({ text: "do five things", sessionId: "s-group" });
    expect(result).toMatchObject({ evaluationPassed: true, score: 1 });
    const group = world.publisher.ofType("agent-group.created");
    expect(group).toHaveLength(1);
    expect(group[0]?.payload.agentIds).toHaveLength(5);
    expect(world.publisher.ofType("agent-group.member-completed").every((event) => event.payload.passed)).toBe(true);
    expect(server.maxInFlight).toBe(5);
  });

  it("streams phases, text deltas, tool activity and the result", async () => {
    const { world } = await start((request) => {
      if (kindOf(request) === "interview") return { json: clearTask(["the ls tool succeeds"], "list") };
      const last = request.body.messages?.at(-1);
      return last?.role === "tool"
        ? { text: "listed the workspace" }
        : { toolCalls: [{ name: "ls", arguments: { path: "." } }] };
    });
    const stream = world.runtime.stream({ text: "list my files", sessionId: "s-stream" });
    const events: OrchestrationEvent[] = [];
    for await (const event of stream.events) events.push(event);
    const result = await stream.result;
    expect(result).toMatchObject({ evaluationPassed: true });
    expect(events.some((event) => event.type === "phase" && event.phase === "execute")).toBe(true);
    expect(
      events
        .filter((event) => event.type === "text")
        .map((event) => (event.type === "text" ? event.delta : ""))
        .join(""),
    ).toBe("listed the workspace");
    expect(events.find((event) => event.type === "tool-result")).toMatchObject({ name: "ls", ok: true });
    expect(events.at(-1)).toMatchObject({ type: "result", result: { sessionId: "s-stream" } });
  });

  it("an abort mid-stream stops the HTTP request to the model", async () => {
    server = await FakeLlmServer.start({
      chunkDelayMs: 50,
      chunkSize: 4,
      script: (request) =>
        kindOf(request) === "interview" ? { json: clearTask(["anything"]) } : { text: "a long answer ".repeat(40) },
    });
    world = await openWorld({ model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }) });
    const controller = new AbortController();
    const stream = world.runtime.stream({ text: "go", sessionId: "s-abort", signal: controller.signal });
    for await (const event of stream.events) {
      if (event.type === "text") {
        controller.abort(new Error("user pressed stop"));
        break;
      }
    }
    await expect(stream.result).rejects.toMatchObject({ code: "ABORTED" });
    await vi.waitFor(() => expect(server?.abortedRequests).toBe(1), { timeout: 60_000 });
    expect(server.inFlight).toBe(0);
  });

  it("cancelling a direct run aborts the tool it is running", async () => {
    let sawAbort = false;
    let started: () => void = () => undefined;
    const toolStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const waitTool = defineTool({
      name: "wait_forever",
      description: "Waits until aborted.",
      input: z.object({}),
      family: "fs.read",
      execute: (_input, context) =>
        new Promise<{ output: string }>((_resolve, reject) => {
          started();
          context.signal.addEventListener("abort", () => {
            sawAbort = true;
            reject(context.signal.reason);
          });
        }),
    });
    const { world } = await start(() => ({ toolCalls: [{ name: "wait_forever", arguments: {} }] }), {
      extraTools: [waitTool],
    });
    const run = world.runtime.runGoal({ goal: "wait" });
    await toolStarted;
    expect(world.runtime.getRun(run.taskId)?.status).toBe("running");
    expect(await world.runtime.cancelRun(run.taskId, "stop")).toBe(true);
    const record = await run.result;
    expect(record.status).toBe("cancelled");
    expect(sawAbort).toBe(true);
    expect(world.runtime.getRun(run.taskId)?.status).toBe("cancelled");
  });
});
