// Spans of orchestrated (chat) runs, recorded by a Tracer that keeps every span it starts: a
// task whose model calls a tool gives run → model calls → tool call spans with the gen_ai.*
// attributes and no prompt, tool input or answer; the chat result and the run's events carry
// the trace id; an evolution's run is a child of the message's first run, in its trace; an
// aborted message ends its run's span as cancelled.

import { afterEach, describe, expect, it } from "vitest";
import { openWorld, type World } from "./__fixtures__/kernel-world.ts";
import { resolveModel } from "./providers/resolve-model.ts";
import { FakeLlmServer, type FakeReply, type FakeRequest } from "./testing/fake-llm-server.ts";
import type { SpanAttributes, SpanParent, StartSpanOptions, Tracer, TraceSpan } from "./tracing.ts";

interface RecordedSpan {
  name: string;
  context: SpanParent;
  parent: SpanParent | undefined;
  kind: StartSpanOptions["kind"];
  attributes: Record<string, unknown>;
  failed: string | undefined;
  ended: boolean;
}

/** Keeps every span; ids are counters in the W3C formats (a new trace per root span). */
class RecordingTracer implements Tracer {
  readonly spans: RecordedSpan[] = [];
  #next = 0;

  startSpan(name: string, options: StartSpanOptions = {}): TraceSpan {
    this.#next += 1;
    const context: SpanParent = {
      traceId: options.parent?.traceId ?? this.#next.toString(16).padStart(32, "0"),
      spanId: this.#next.toString(16).padStart(16, "0"),
    };
    const span: RecordedSpan = {
      name,
      context,
      parent: options.parent,
      kind: options.kind,
      attributes: {},
      failed: undefined,
      ended: false,
    };
    const set = (attributes: SpanAttributes) => {
      for (const [key, value] of Object.entries(attributes)) if (value !== undefined) span.attributes[key] = value;
    };
    set(options.attributes ?? {});
    this.spans.push(span);
    return {
      context,
      setAttributes: set,
      fail: (code) => {
        span.failed = code;
        span.attributes["error.type"] = code;
      },
      end: () => {
        span.ended = true;
      },
    };
  }

  of(operation: string): RecordedSpan[] {
    return this.spans.filter((span) => span.attributes["gen_ai.operation.name"] === operation);
  }
}

let server: FakeLlmServer | undefined;
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
  await server?.close();
  server = undefined;
});

const task = (goal: string, criteria: string[]) => ({
  isTask: true,
  chatResponse: "",
  complexity: "simple",
  questions: [],
  clarity: { goal: 1, constraints: 1, criteria: 1 },
  goal,
  constraints: [],
  acceptanceCriteria: criteria,
});

function isInterview(request: FakeRequest): boolean {
  return JSON.stringify(request.body.response_format ?? "").includes("isTask");
}

function systemText(request: FakeRequest): string {
  const system = request.body.messages?.find((message) => message.role === "system");
  return typeof system?.content === "string" ? system.content : JSON.stringify(system?.content ?? "");
}

async function start(responder: (request: FakeRequest) => FakeReply) {
  const tracer = new RecordingTracer();
  server = await FakeLlmServer.start({ script: responder });
  world = await openWorld({
    model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
    runtime: { tracer },
  });
  return { tracer, world };
}

describe("Orchestrator: spans of a chat message's agent runs", () => {
  it("a task whose model calls a tool: run → model calls → tool call spans, the trace id on the result and the events", async () => {
    const { tracer, world } = await start((request) => {
      if (isInterview(request)) return { json: task("write GOAL-MARKER a note", ["the write tool succeeds"]) };
      return request.body.messages?.at(-1)?.role === "tool"
        ? { text: "ANSWER-MARKER listed", usage: { promptTokens: 211, completionTokens: 13 } }
        : {
            toolCalls: [{ name: "write", arguments: { path: "note.txt", content: "TOOL-INPUT-MARKER" } }],
            usage: { promptTokens: 101, completionTokens: 7 },
          };
    });
    const result = await world.runtime.handle({ text: "PROMPT-MARKER write me a note", sessionId: "s-trace" });
    expect(result).toMatchObject({ kind: "task", generations: 1 });

    const runs = tracer.of("invoke_agent");
    expect(runs).toHaveLength(1);
    const run = runs[0] as RecordedSpan;
    expect(run).toMatchObject({
      name: "invoke_agent oxios",
      parent: undefined,
      ended: true,
      failed: undefined,
      attributes: {
        "gen_ai.agent.id": result.agentId,
        "gen_ai.agent.name": "oxios",
        "gen_ai.conversation.id": "s-trace",
        "oxios.seed.id": result.seedId,
        "oxios.seed.generation": 0,
        "oxios.run.status": "completed",
        "gen_ai.response.model": "openai-compatible/fake",
        "gen_ai.usage.input_tokens": 312,
        "gen_ai.usage.output_tokens": 20,
        "gen_ai.response.finish_reasons": ["stop"],
      },
    });
    expect(result.traceId).toBe(run.context.traceId);

    const chats = tracer.of("chat");
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expect(chat.parent).toEqual(run.context);
      expect(chat).toMatchObject({
        name: "chat fake",
        kind: "client",
        ended: true,
        attributes: {
          "gen_ai.provider.name": "openai-compatible",
          "gen_ai.system": "openai-compatible",
          "gen_ai.request.model": "fake",
          "gen_ai.agent.id": result.agentId,
        },
      });
    }
    expect(chats.map((chat) => chat.attributes)).toEqual([
      expect.objectContaining({ "gen_ai.usage.input_tokens": 101, "gen_ai.response.finish_reasons": ["tool-calls"] }),
      expect.objectContaining({ "gen_ai.usage.input_tokens": 211, "gen_ai.response.finish_reasons": ["stop"] }),
    ]);
    const tools = tracer.of("execute_tool");
    expect(tools).toEqual([
      expect.objectContaining({
        name: "execute_tool write",
        parent: run.context,
        ended: true,
        attributes: expect.objectContaining({ "gen_ai.tool.name": "write", "gen_ai.agent.id": result.agentId }),
      }),
    ]);
    // The interview and the evaluation are not agent runs: the run's three spans are all there is.
    expect(tracer.spans).toHaveLength(4);

    // The run's events carry the trace id.
    const traced = [
      ...world.publisher.ofType("agent.output"),
      ...world.publisher.ofType("tool.started"),
      ...world.publisher.ofType("tool.completed"),
    ];
    expect(traced.length).toBeGreaterThanOrEqual(3);
    for (const event of traced) expect(event.payload.traceId).toBe(result.traceId);

    // Containment: no prompt, seed goal, tool input or answer in any attribute.
    const recorded = JSON.stringify(tracer.spans);
    for (const marker of ["PROMPT-MARKER", "GOAL-MARKER", "TOOL-INPUT-MARKER", "ANSWER-MARKER"]) {
      expect(recorded).not.toContain(marker);
    }
  });

  it("an evolution's run is a child of the message's first run, in the same trace", async () => {
    const { tracer, world } = await start((request) => {
      if (isInterview(request)) return { json: task("say the colour", ['the answer contains "BLUE"']) };
      return { text: systemText(request).includes("Previous attempt missed") ? "BLUE" : "red" };
    });
    const result = await world.runtime.handle({ text: "what colour is the sky?", sessionId: "s-evolve" });
    expect(result).toMatchObject({ generations: 2, evaluationPassed: true });
    const [first, second] = tracer.of("invoke_agent");
    expect(first?.parent).toBeUndefined();
    expect(second?.parent).toEqual(first?.context);
    expect(second?.attributes["oxios.seed.generation"]).toBe(1);
    expect(result.traceId).toBe(first?.context.traceId);
    for (const chat of tracer.of("chat")) expect(chat.context.traceId).toBe(result.traceId);
    expect(tracer.of("chat").map((chat) => chat.parent)).toEqual([first?.context, second?.context]);
  });

  it("an aborted message ends its run's span as cancelled, not failed", async () => {
    let release: (() => void) | undefined;
    const reached = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { tracer, world } = await start((request) => {
      if (isInterview(request)) return { json: task("wait", ["the answer is done"]) };
      release?.();
      return { hang: true };
    });
    const controller = new AbortController();
    const handled = world.runtime.handle({ text: "wait", sessionId: "s-abort", signal: controller.signal });
    await reached;
    controller.abort();
    await expect(handled).rejects.toThrow();
    const [run] = tracer.of("invoke_agent");
    expect(run).toMatchObject({ ended: true, failed: undefined, attributes: { "oxios.run.status": "cancelled" } });
    expect(run?.attributes["error.type"]).toBeTruthy();
  });
});
