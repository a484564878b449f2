import { KernelError, systemClock } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { EventBus } from "@oxios/event-bus";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import { afterEach, describe, expect, it } from "vitest";
import { arrivalBarrier } from "./__fixtures__/arrival-barrier.ts";
import { AgentLoop, type AgentLoopOptions } from "./agent-loop.ts";
import { streamAgent } from "./agent-stream.ts";
import { CircuitBreakers } from "./circuit-breaker.ts";
import { resolveModel } from "./providers/resolve-model.ts";
import { FakeLlmServer, type FakeLlmServerOptions } from "./testing/fake-llm-server.ts";
import { InMemoryMemoryPort } from "./testing/in-memory-memory-port.ts";
import { ScriptedToolExecutor } from "./testing/scripted-tool-executor.ts";
import { TokenBudgets } from "./token-budgets.ts";

let server: FakeLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(serverOptions: FakeLlmServerOptions, overrides: Partial<AgentLoopOptions> = {}) {
  server = await FakeLlmServer.start(serverOptions);
  const clock = overrides.clock ?? systemClock;
  const publisher = new RecordingPublisher();
  const loop = new AgentLoop({
    model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
    clock,
    breakers: new CircuitBreakers({ clock }),
    budgets: new TokenBudgets(),
    publisher,
    retry: { maxRetries: 0 },
    ...overrides,
  });
  return { server, loop, publisher };
}

const seed = { goal: "do the thing" };

describe("AgentLoop against the fake OpenAI-compatible server", () => {
  it("streams text deltas to the callback, the async iterator and agent.output events", async () => {
    const { loop, publisher } = await setup({ script: [{ text: "a reply streamed in pieces" }] });
    const stream = streamAgent(loop, { agentId: "agent-1", seed });
    const pieces: string[] = [];
    for await (const piece of stream.textStream) pieces.push(piece);
    const result = await stream.result;
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe("a reply streamed in pieces");
    expect(result).toMatchObject({ text: "a reply streamed in pieces", finishReason: "stop", steps: 1 });
    const events = publisher.ofType("agent.output");
    expect(events.map((event) => event.payload.text).join("")).toBe("a reply streamed in pieces");
    expect(events.every((event) => event.payload.agentId === "agent-1")).toBe(true);
  });

  it("reads whole responses when nobody follows agent.output on the bus, and streams once someone does", async () => {
    const bus = new EventBus();
    const tools = new ScriptedToolExecutor({ ls: { run: () => "a.txt" } });
    const { loop, server } = await setup(
      { script: [{ toolCalls: [{ name: "ls", arguments: {} }] }, { text: "one file" }, { text: "followed" }] },
      { publisher: bus, tools },
    );
    let modelCalls = 0;
    const quiet = await loop.run({ agentId: "a", seed, onModelCall: () => modelCalls++ });
    expect(modelCalls).toBe(4);
    expect(quiet).toMatchObject({ text: "one file", finishReason: "stop", steps: 2 });
    expect(quiet.toolCalls).toMatchObject([{ name: "ls", outcome: { ok: true, output: "a.txt" } }]);
    expect(quiet.usage.outputTokens).toBeGreaterThan(0);
    expect(server.requests.map((request) => request.stream)).toEqual([false, false]);

    const seen: string[] = [];
    const off = bus.on("agent.output", (event) => seen.push(event.payload.text));
    const followed = await loop.run({ agentId: "b", seed });
    off();
    expect(followed.text).toBe("followed");
    expect(server.requests.map((request) => request.stream)).toEqual([false, false, true]);
    expect(seen.join("")).toBe("followed");
  });

  it("puts seed, persona and recalled memories in the system prompt", async () => {
    const memory = new InMemoryMemoryPort();
    await memory.store({ content: "the thing lives in /srv", type: "fact", tags: [], agentId: "a" });
    const { loop, server } = await setup({ script: [{ text: "ok" }] }, { memory });
    await loop.run({
      agentId: "a",
      seed: { goal: "do the thing", constraints: ["no network"], acceptanceCriteria: ["file exists"] },
      persona: "You are a careful operator.",
    });
    const system = server.requests[0]?.body.messages?.[0];
    expect(system?.role).toBe("system");
    for (const text of ["careful operator", "do the thing", "no network", "file exists", "/srv"]) {
      expect(String(system?.content)).toContain(text);
    }
  });

  it("runs several tool calls from one step in parallel and feeds results back", async () => {
    // Each tool returns only once both have started: a loop that ran them one by one would hang.
    const bothStarted = arrivalBarrier(2);
    const tools = new ScriptedToolExecutor({
      slow_a: { run: async () => bothStarted().then(() => "A") },
      slow_b: { run: async () => bothStarted().then(() => "B") },
    });
    const { loop, server } = await setup(
      {
        script: [
          {
            toolCalls: [
              { name: "slow_a", arguments: {} },
              { name: "slow_b", arguments: {} },
            ],
          },
          { text: "both done" },
        ],
      },
      { tools },
    );
    const result = await loop.run({ agentId: "a", seed });
    expect(result).toMatchObject({ text: "both done", steps: 2 });
    expect(tools.maxConcurrent).toBe(2);
    const toolMessages = server.requests[1]?.body.messages?.filter((message) => message.role === "tool") ?? [];
    expect(toolMessages.map((message) => message.content)).toEqual(["A", "B"]);
  });

  it("reports malformed tool arguments back to the model as a tool error", async () => {
    const tools = new ScriptedToolExecutor({ ls: { run: () => "file.txt" } });
    const { loop, server } = await setup(
      {
        script: [
          { toolCalls: [{ name: "ls", arguments: '{"path": ".' }] },
          { toolCalls: [{ name: "ls", arguments: { path: "." } }] },
          { text: "listed" },
        ],
      },
      { tools },
    );
    const result = await loop.run({ agentId: "a", seed });
    expect(result.text).toBe("listed");
    expect(result.toolCalls.map((call) => call.outcome.ok)).toEqual([false, true]);
    expect(result.toolCalls[0]?.outcome).toMatchObject({ errorCode: "TOOL_INPUT_INVALID" });
    expect(tools.calls).toHaveLength(1);
    const errorMessage = server.requests[1]?.body.messages?.find((message) => message.role === "tool");
    expect(String(errorMessage?.content)).toContain("TOOL_INPUT_INVALID");
  });

  it("stops a model that never stops calling tools at max steps", async () => {
    const tools = new ScriptedToolExecutor({ ls: { run: () => "again" } });
    const { loop, server } = await setup(
      { script: () => ({ toolCalls: [{ name: "ls", arguments: '{"broken' }] }) },
      { tools },
    );
    const result = await loop.run({ agentId: "a", seed, maxSteps: 3 });
    expect(result).toMatchObject({ finishReason: "max-steps", steps: 3 });
    expect(server.requestCount).toBe(3);
    expect(tools.calls).toHaveLength(0);
  });

  it("an abort mid-stream closes the HTTP request to the model", async () => {
    const { loop, server } = await setup({
      chunkDelayMs: 40,
      chunkSize: 2,
      script: [{ text: "a long answer that streams slowly" }],
    });
    const controller = new AbortController();
    const run = loop.run({
      agentId: "a",
      seed,
      signal: controller.signal,
      onTextDelta: () => controller.abort(new KernelError("ABORTED", "killed by test")),
    });
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    await expect.poll(() => server.abortedRequests).toBe(1);
  });

  it("an abort reaches every running tool, and the run settles after them", async () => {
    const started: string[] = [];
    const waitForAbort = (name: string) => ({
      run: (_input: unknown, signal: AbortSignal) =>
        new Promise<string>((_resolve, reject) => {
          started.push(name);
          signal.addEventListener("abort", () => reject(new Error(`${name} stopped`)), { once: true });
        }),
    });
    const tools = new ScriptedToolExecutor({ one: waitForAbort("one"), two: waitForAbort("two") });
    const { loop } = await setup(
      {
        script: [
          {
            toolCalls: [
              { name: "one", arguments: {} },
              { name: "two", arguments: {} },
            ],
          },
        ],
      },
      { tools },
    );
    const controller = new AbortController();
    const run = loop.run({ agentId: "a", seed, signal: controller.signal });
    await expect.poll(() => started.length).toBe(2);
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(tools.aborted.map((call) => call.name).sort()).toEqual(["one", "two"]);
  });

  it("times out on the clock and closes the hanging model request", async () => {
    const clock = new ManualClock(0);
    const { loop, server } = await setup({ script: [{ hang: true }] }, { clock });
    const run = loop.run({ agentId: "a", seed, timeoutMs: 300_000 });
    await server.waitForRequests(1);
    clock.advance(300_000);
    await expect(run).rejects.toMatchObject({ code: "TIMED_OUT" });
    await expect.poll(() => server.abortedRequests).toBe(1);
  });

  it("records usage per agent and refuses model calls once the budget is spent", async () => {
    const budgets = new TokenBudgets({ defaultLimit: 1_000 });
    const tools = new ScriptedToolExecutor({ ls: { run: () => "x" } });
    const { loop, server } = await setup(
      {
        script: () => ({
          toolCalls: [{ name: "ls", arguments: {} }],
          usage: { promptTokens: 400, completionTokens: 200 },
        }),
      },
      { budgets, tools },
    );
    await expect(loop.run({ agentId: "spender", seed })).rejects.toMatchObject({ code: "RUNTIME_BUDGET_EXCEEDED" });
    expect(server.requestCount).toBe(2);
    expect(budgets.usage("spender")).toEqual({ inputTokens: 800, outputTokens: 400 });
    expect(budgets.canAdmit({ agentId: "spender" })).toBe(false);
    expect(budgets.canAdmit({ agentId: "other" })).toBe(true);
  });

  it("retries a retryable failure with backoff on the clock", async () => {
    const clock = new ManualClock(0);
    const { loop, server } = await setup(
      { script: [{ error: { status: 500 } }, { error: { status: 429 } }, { text: "third time" }] },
      { clock, retry: { maxRetries: 2, baseDelayMs: 1_000 } },
    );
    const run = loop.run({ agentId: "a", seed });
    await server.waitForRequests(1);
    await expect.poll(() => clock.pendingTimers).toBe(2); // run timeout + first backoff
    await clock.advanceAsync(999);
    expect(server.requestCount).toBe(1);
    await clock.advanceAsync(1);
    await server.waitForRequests(2);
    await expect.poll(() => clock.pendingTimers).toBe(2);
    await clock.advanceAsync(2_000);
    await expect(run).resolves.toMatchObject({ text: "third time" });
  });

  it("does not retry an auth failure", async () => {
    const { loop, server } = await setup({ apiKey: "right" }, { retry: { maxRetries: 3, baseDelayMs: 1 } });
    await expect(loop.run({ agentId: "a", seed })).rejects.toMatchObject({ code: "PROVIDER_AUTH_FAILED" });
    expect(server.requestCount).toBe(1);
  });

  it("opens the provider's breaker after 5 failures and fails fast without a request", async () => {
    const clock = new ManualClock(0);
    const { loop, server } = await setup({ script: () => ({ error: { status: 503 } }) }, { clock });
    for (let index = 0; index < 5; index++) {
      await expect(loop.run({ agentId: "a", seed })).rejects.toMatchObject({ code: "PROVIDER_UNAVAILABLE" });
    }
    await expect(loop.run({ agentId: "a", seed })).rejects.toMatchObject({ code: "PROVIDER_CIRCUIT_OPEN" });
    expect(server.requestCount).toBe(5);
    clock.advance(30_000);
    server.setScript([{ text: "recovered" }]);
    await expect(loop.run({ agentId: "a", seed })).resolves.toMatchObject({ text: "recovered" });
    expect(server.requestCount).toBe(6);
  });

  it("compacts past 80 % of the window and stores the summary before the next model call", async () => {
    // The store records a macrotask after the call: only an awaited store is there in time.
    const memory = new InMemoryMemoryPort({ asynchronous: true });
    const storedAtModelCall: number[] = [];
    const tools = new ScriptedToolExecutor({ read: { run: () => "x".repeat(3_000) } });
    server = await FakeLlmServer.start({
      script: (request) => {
        if (request.index <= 2) return { toolCalls: [{ name: "read", arguments: {} }] };
        if (request.index === 3) return { text: "SUMMARY: read the file twice" };
        return { text: "finished" };
      },
    });
    const resolved = resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl });
    // Observed where the loop starts the next model call, not where the request arrives.
    const model = new Proxy(resolved.model, {
      get(target, property, receiver) {
        if (property === "doStream" || property === "doGenerate") {
          return (...args: unknown[]) => {
            storedAtModelCall.push(memory.stored.length);
            return (Reflect.get(target, property, receiver) as (...args: unknown[]) => unknown).apply(target, args);
          };
        }
        return Reflect.get(target, property, receiver);
      },
    });
    const loop = new AgentLoop({
      model: { ...resolved, model },
      clock: systemClock,
      breakers: new CircuitBreakers({ clock: systemClock }),
      budgets: new TokenBudgets(),
      retry: { maxRetries: 0 },
      tools,
      memory,
    });
    const result = await loop.run({ agentId: "a", seed, contextWindow: 1_500, sessionId: "s1" });
    expect(result).toMatchObject({ text: "finished", compactions: 1 });
    expect(memory.stored).toMatchObject([
      { content: "SUMMARY: read the file twice", type: "session", tags: ["compaction"], sessionId: "s1" },
    ]);
    // Model calls: two tool steps, the summary, then the step after compaction, which must
    // start only once the summary is stored.
    expect(storedAtModelCall).toEqual([0, 0, 0, 1]);
    const last = server.requests[3]?.body.messages ?? [];
    expect(JSON.stringify(last)).toContain("SUMMARY: read the file twice");
    expect(JSON.stringify(last)).not.toContain("x".repeat(3_000));
  });

  it("rejects an empty message", async () => {
    const { loop } = await setup({});
    await expect(loop.run({ agentId: "a", seed: { goal: "  " } })).rejects.toMatchObject({
      code: "RUNTIME_MESSAGE_EMPTY",
    });
  });
});
