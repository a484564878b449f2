// OpenTelemetry traces from a real kernel booted in this process against an in-process OTLP/HTTP
// receiver (a node:http server decoding the JSON the exporter sends) and the scripted model:
// a run with one tool call gives run → model calls → tool call spans in one trace, with the
// gen_ai.* attributes and the fake model's token usage; the run record (and the HTTP API) and
// the run's events carry that trace id; no prompt, tool input, answer or key is in any
// attribute; stop exports everything; an unreachable endpoint fails no run and logs a warning;
// a run resumed after a restart continues its trace; a chat message that becomes a task is
// traced the same way, its trace id on the chat response.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger, type LogRecord } from "@oxios/core";
import type { KernelEvent } from "@oxios/event-bus";
import { FakeLlmServer, type FakeRequest, lastUserText } from "@oxios/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { bootInProcessKernel } from "./__fixtures__/in-process-kernel.ts";
import { eventually, tempHome } from "./__fixtures__/kernel-process.ts";
import { createApi } from "./http/app.ts";
import { StreamRegistry } from "./http/stream-registry.ts";
import type { Kernel } from "./kernel.ts";

const API_KEY = "sk-otel-test-key-0123456789";
const OTEL_TOKEN = "otel-header-token-9876543210";

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
}

/** An OTLP/HTTP receiver: decodes every `POST /v1/traces` JSON body into spans. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly bodies: string[] = [];
  readonly headers: Array<Record<string, string | string[] | undefined>> = [];
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on("request", (request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (request.method === "POST" && request.url === "/v1/traces") {
          receiver.bodies.push(body);
          receiver.headers.push(request.headers);
          receiver.spans.push(...decodeTraces(JSON.parse(body)));
        }
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

function decodeValue(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

function decodeTraces(body: {
  resourceSpans?: Array<{
    scopeSpans?: Array<{
      spans?: Array<
        Omit<ReceivedSpan, "attributes" | "parentSpanId"> & {
          parentSpanId?: string;
          attributes?: Array<{ key: string; value: OtlpValue }>;
        }
      >;
    }>;
  }>;
}): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resource) =>
    (resource.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? "",
        name: span.name,
        kind: span.kind,
        status: span.status ?? {},
        attributes: Object.fromEntries(
          (span.attributes ?? []).map((attribute) => [attribute.key, decodeValue(attribute.value)]),
        ),
      })),
    ),
  );
}

function hasToolResult(request: FakeRequest): boolean {
  return (request.body.messages ?? []).some((message) => message.role === "tool");
}

/**
 * Goals starting "write" call the write tool once, then answer; "outside" writes outside the
 * workspace (refused by the gate); "hang" never answers; others answer at once.
 */
function responder(request: FakeRequest) {
  // The chat interview: every message is a task whose seed goal is the message.
  if (JSON.stringify(request.body.response_format ?? "").includes("isTask")) {
    return {
      json: {
        isTask: true,
        chatResponse: "",
        complexity: "simple",
        questions: [],
        clarity: { goal: 1, constraints: 1, criteria: 1 },
        goal: "write GOAL-MARKER a note",
        constraints: [],
        acceptanceCriteria: ["the write tool succeeds"],
      },
    };
  }
  const goal = lastUserText(request.body) ?? "";
  if (goal.startsWith("hang")) return { hang: true as const };
  if (goal.startsWith("outside") && !hasToolResult(request)) {
    return { toolCalls: [{ name: "write", arguments: { path: "/etc/oxios-outside.txt", content: "x" } }] };
  }
  if (goal.startsWith("write") && !hasToolResult(request)) {
    return {
      toolCalls: [{ name: "write", arguments: { path: "note.txt", content: "TOOL-INPUT-MARKER" } }],
      usage: { promptTokens: 101, completionTokens: 7 },
    };
  }
  return { text: "ANSWER-MARKER all done", usage: { promptTokens: 211, completionTokens: 13 } };
}

interface Booted {
  kernel: Kernel;
  stop: () => Promise<void>;
  logs: LogRecord[];
}

let cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function boot(home: string, fake: FakeLlmServer, environment: Record<string, string>): Promise<Booted> {
  const logs: LogRecord[] = [];
  const logger = createLogger({ level: "info", write: (record) => logs.push(record) });
  const { kernel, stop } = await bootInProcessKernel({
    modelUrl: fake.baseUrl,
    home,
    logger,
    environment: { OXIOS_LLM_API_KEY: API_KEY, ...environment },
  });
  cleanup.push(stop);
  return { kernel, stop, logs };
}

async function startFake(): Promise<FakeLlmServer> {
  const fake = await FakeLlmServer.start({ script: responder });
  cleanup.push(() => fake.close());
  return fake;
}

async function startReceiver(): Promise<OtlpReceiver> {
  const receiver = await OtlpReceiver.start();
  cleanup.push(() => receiver.close());
  return receiver;
}

describe("OpenTelemetry traces", () => {
  it("a run with one tool call: run → model calls → tool call spans with gen_ai.* attributes, its trace id on the record and the events", async () => {
    const fake = await startFake();
    const receiver = await startReceiver();
    const { kernel, stop } = await boot(tempHome(), fake, {
      OXIOS_OTEL_ENDPOINT: receiver.endpoint,
      OXIOS_OTEL_HEADERS: `authorization=Bearer ${OTEL_TOKEN}`,
    });
    const events: KernelEvent[] = [];
    kernel.bus.on("*", (event) => {
      events.push(event);
    });

    const { taskId } = await kernel.runs.start({ goal: "write GOAL-MARKER a note" });
    const record = await kernel.runs.finished(taskId);
    expect(record).toMatchObject({ status: "completed", toolCalls: [{ name: "write", ok: true }] });
    const traceId = record?.traceId as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const token = "otel-test-api-token";
    const api = createApi({ kernel, token, streams: new StreamRegistry() });
    const response = await api.request(`/api/runs/${taskId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await response.json()) as { traceId?: string }).traceId).toBe(traceId);

    // Stop exports what the batch still holds: the spans are there once stop resolved.
    await stop();
    const spans = receiver.spans.filter((span) => span.traceId === traceId);
    const run = spans.find((span) => span.attributes["gen_ai.operation.name"] === "invoke_agent");
    const chats = spans.filter((span) => span.attributes["gen_ai.operation.name"] === "chat");
    const tools = spans.filter((span) => span.attributes["gen_ai.operation.name"] === "execute_tool");
    expect(run).toMatchObject({
      parentSpanId: "",
      attributes: {
        "gen_ai.agent.id": record?.agentId,
        "oxios.run.id": taskId,
        "oxios.run.status": "completed",
        "gen_ai.usage.input_tokens": 312,
        "gen_ai.usage.output_tokens": 20,
      },
    });
    expect(spans).toHaveLength(4);
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expect(chat.parentSpanId).toBe(run?.spanId);
      expect(chat.name).toBe("chat fake");
      expect(chat.kind).toBe(3); // SPAN_KIND_CLIENT
      expect(chat.attributes).toMatchObject({
        "gen_ai.provider.name": "openai-compatible",
        "gen_ai.system": "openai-compatible",
        "gen_ai.request.model": "fake",
      });
    }
    expect(chats.map((chat) => chat.attributes)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          "gen_ai.usage.input_tokens": 101,
          "gen_ai.usage.output_tokens": 7,
          "gen_ai.response.finish_reasons": ["tool-calls"],
        }),
        expect.objectContaining({
          "gen_ai.usage.input_tokens": 211,
          "gen_ai.usage.output_tokens": 13,
          "gen_ai.response.finish_reasons": ["stop"],
        }),
      ]),
    );
    expect(tools).toEqual([
      expect.objectContaining({
        name: "execute_tool write",
        parentSpanId: run?.spanId,
        attributes: expect.objectContaining({
          "gen_ai.tool.name": "write",
          "gen_ai.tool.call.id": record?.toolCalls?.[0]?.callId,
        }),
      }),
    ]);

    // The run's events carry its trace id.
    const ofRun = events.filter((event) =>
      ["agent.output", "tool.started", "tool.completed"].includes(event.type),
    ) as Array<KernelEvent & { payload: { traceId?: string } }>;
    expect(new Set(ofRun.map((event) => event.type))).toEqual(
      new Set(["agent.output", "tool.started", "tool.completed"]),
    );
    for (const event of ofRun) expect(event.payload.traceId).toBe(traceId);

    // Containment: no prompt, tool input, answer or secret in any exported byte.
    const exported = receiver.bodies.join("\n");
    for (const secret of ["GOAL-MARKER", "TOOL-INPUT-MARKER", "ANSWER-MARKER", API_KEY, OTEL_TOKEN]) {
      expect(exported).not.toContain(secret);
    }
    // The configured headers went with the export.
    expect(receiver.headers[0]?.authorization).toBe(`Bearer ${OTEL_TOKEN}`);
  });

  it("a chat message that becomes a task: its run → model calls → tool call spans, the trace id on the chat response", async () => {
    const fake = await startFake();
    const receiver = await startReceiver();
    const { kernel, stop } = await boot(tempHome(), fake, { OXIOS_OTEL_ENDPOINT: receiver.endpoint });
    const token = "otel-test-api-token";
    const api = createApi({ kernel, token, streams: new StreamRegistry() });
    const response = await api.request("/api/chat", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ message: "PROMPT-MARKER write me a note", sessionId: "s-otel-chat" }),
    });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { kind: string; agentId?: string; seedId?: string; traceId?: string };
    expect(result).toMatchObject({ kind: "task", evaluationPassed: true });
    const traceId = result.traceId as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    await stop();
    const spans = receiver.spans.filter((span) => span.traceId === traceId);
    const run = spans.find((span) => span.attributes["gen_ai.operation.name"] === "invoke_agent");
    expect(run).toMatchObject({
      parentSpanId: "",
      attributes: {
        "gen_ai.agent.id": result.agentId,
        "gen_ai.conversation.id": "s-otel-chat",
        "oxios.seed.id": result.seedId,
        "oxios.run.status": "completed",
        "gen_ai.usage.input_tokens": 312,
        "gen_ai.usage.output_tokens": 20,
      },
    });
    const chats = spans.filter((span) => span.attributes["gen_ai.operation.name"] === "chat");
    const tools = spans.filter((span) => span.attributes["gen_ai.operation.name"] === "execute_tool");
    expect(spans).toHaveLength(4);
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expect(chat).toMatchObject({
        parentSpanId: run?.spanId,
        attributes: { "gen_ai.provider.name": "openai-compatible", "gen_ai.request.model": "fake" },
      });
    }
    expect(tools).toEqual([
      expect.objectContaining({
        name: "execute_tool write",
        parentSpanId: run?.spanId,
        attributes: expect.objectContaining({ "gen_ai.tool.name": "write" }),
      }),
    ]);
    const exported = receiver.bodies.join("\n");
    for (const secret of ["PROMPT-MARKER", "GOAL-MARKER", "TOOL-INPUT-MARKER", "ANSWER-MARKER", API_KEY]) {
      expect(exported).not.toContain(secret);
    }
  });

  it("a failed tool call and a cancelled run end their spans with the KernelError code (status ERROR for failures)", async () => {
    const fake = await startFake();
    const receiver = await startReceiver();
    const { kernel, stop } = await boot(tempHome(), fake, { OXIOS_OTEL_ENDPOINT: receiver.endpoint });
    const refused = await kernel.runs.start({ goal: "outside the workspace" });
    const refusedRecord = await kernel.runs.finished(refused.taskId);
    expect(refusedRecord).toMatchObject({ status: "completed", toolCalls: [{ name: "write", ok: false }] });
    const hanging = await kernel.runs.start({ goal: "hang forever" });
    await eventually(() =>
      fake.requests.some((request) => lastUserText(request.body) === "hang forever") ? true : undefined,
    );
    const finished = kernel.runs.finished(hanging.taskId);
    await kernel.runs.cancel(hanging.taskId);
    const cancelled = await finished;
    expect(cancelled).toMatchObject({ status: "cancelled" });
    await stop();

    const ERROR = 2; // STATUS_CODE_ERROR
    const tool = receiver.spans.find(
      (span) => span.traceId === refusedRecord?.traceId && span.attributes["gen_ai.operation.name"] === "execute_tool",
    );
    expect(tool?.status.code).toBe(ERROR);
    expect(tool?.attributes["error.type"]).toMatch(/^TOOL_/);
    // Nobody follows these runs' text, so the model's answers are read whole: the same attributes.
    const refusedChats = receiver.spans.filter(
      (span) => span.traceId === refusedRecord?.traceId && span.attributes["gen_ai.operation.name"] === "chat",
    );
    expect(refusedChats.map((span) => span.attributes["gen_ai.response.finish_reasons"]).sort()).toEqual([
      ["stop"],
      ["tool-calls"],
    ]);
    expect(refusedChats.every((span) => typeof span.attributes["gen_ai.usage.input_tokens"] === "number")).toBe(true);
    const ofCancelled = receiver.spans.filter((span) => span.traceId === cancelled?.traceId);
    const run = ofCancelled.find((span) => span.attributes["gen_ai.operation.name"] === "invoke_agent");
    const chat = ofCancelled.find((span) => span.attributes["gen_ai.operation.name"] === "chat");
    expect(run?.attributes).toMatchObject({ "oxios.run.status": "cancelled", "error.type": cancelled?.error?.code });
    expect(chat?.status.code).toBe(ERROR);
    expect(chat?.attributes["error.type"]).toEqual(expect.any(String));
  });

  it("without an endpoint nothing is traced and runs have no trace id", async () => {
    const fake = await startFake();
    const { kernel } = await boot(tempHome(), fake, {});
    expect(kernel.tracing).toBeUndefined();
    const { taskId } = await kernel.runs.start({ goal: "plain" });
    const record = await kernel.runs.finished(taskId);
    expect(record).toMatchObject({ status: "completed" });
    expect(record?.traceId).toBeUndefined();
  });

  it("an unreachable endpoint fails no run; the failed export is logged as a warning", async () => {
    const fake = await startFake();
    const gone = await OtlpReceiver.start();
    const endpoint = gone.endpoint;
    await gone.close();
    const { kernel, stop, logs } = await boot(tempHome(), fake, { OXIOS_OTEL_ENDPOINT: endpoint });
    const { taskId } = await kernel.runs.start({ goal: "write something" });
    expect(await kernel.runs.finished(taskId)).toMatchObject({ status: "completed" });
    await stop();
    // The stop itself succeeds: an export that failed is a warning, not a failed shutdown step.
    expect(logs.filter((record) => record.level === "error")).toEqual([]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: "traces could not be exported; spans are dropped until the endpoint answers",
      }),
    );
  });

  it("an endpoint that never answers does not hold up runs: a run completes while an export hangs", async () => {
    const fake = await startFake();
    const hanging = createServer();
    let exports = 0;
    hanging.on("request", () => {
      exports++;
    });
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          hanging.closeAllConnections();
          hanging.close(() => resolve());
        }),
    );
    const endpoint = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    const { kernel, stop, logs } = await boot(tempHome(), fake, { OXIOS_OTEL_ENDPOINT: endpoint });
    const first = await kernel.runs.start({ goal: "write first" });
    expect(await kernel.runs.finished(first.taskId)).toMatchObject({ status: "completed" });
    // Export the first run's spans now; the endpoint takes the request and never answers.
    let exportSettled = false;
    const flushed = kernel.tracing?.flush().then(() => {
      exportSettled = true;
    });
    await eventually(() => (exports > 0 ? true : undefined));
    const second = await kernel.runs.start({ goal: "write second" });
    expect(await kernel.runs.finished(second.taskId)).toMatchObject({ status: "completed" });
    // The second run finished while the first export was still waiting for an answer.
    expect(exportSettled).toBe(false);
    await flushed;
    await stop();
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: "traces could not be exported; spans are dropped until the endpoint answers",
      }),
    );
  });

  it("a run resumed after a restart keeps its trace id; the resumed attempt's span is a child of the first", async () => {
    let release: (() => void) | undefined;
    let held = 0;
    const fake = await FakeLlmServer.start({
      script: async (request) => {
        if (release === undefined) {
          held++;
          return { hang: true as const };
        }
        return responder(request);
      },
    });
    cleanup.push(() => fake.close());
    const receiver = await startReceiver();
    const home = tempHome();
    const environment = { OXIOS_OTEL_ENDPOINT: receiver.endpoint, OXIOS_DRAIN_TIMEOUT_MS: "0" };
    const first = await boot(home, fake, environment);
    const { taskId } = await first.kernel.runs.start({ goal: "plain resumed" });
    await eventually(() => (held > 0 ? true : undefined));
    const traceId = (await first.kernel.runs.load(taskId))?.traceId as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await first.stop();
    const firstSpan = receiver.spans.find((span) => span.attributes["oxios.run.id"] === taskId);
    expect(firstSpan).toMatchObject({ traceId, attributes: { "oxios.run.status": "interrupted" } });

    release = () => undefined;
    const second = await boot(home, fake, environment);
    const record = await eventually(async () => {
      const loaded = await second.kernel.runs.load(taskId);
      return loaded?.status === "completed" ? loaded : undefined;
    });
    expect(record).toMatchObject({ traceId, resumes: 1 });
    await second.stop();
    const resumed = receiver.spans.filter(
      (span) => span.attributes["oxios.run.id"] === taskId && span.spanId !== firstSpan?.spanId,
    );
    expect(resumed).toEqual([
      expect.objectContaining({
        traceId,
        parentSpanId: firstSpan?.spanId,
        attributes: expect.objectContaining({ "oxios.run.status": "completed", "oxios.run.resumes": 1 }),
      }),
    ]);
  });
});
