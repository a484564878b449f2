import { generateText, Output, streamText } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { arrivalBarrier } from "../__fixtures__/arrival-barrier.ts";
import { resolveModel } from "../providers/resolve-model.ts";
import { FakeLlmServer } from "./fake-llm-server.ts";

let server: FakeLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function modelFor(fake: FakeLlmServer, apiKey?: string) {
  return resolveModel("openai-compatible/fake-model", { baseUrl: fake.baseUrl, ...(apiKey ? { apiKey } : {}) }).model;
}

describe("FakeLlmServer (through the AI SDK's OpenAI-compatible provider)", () => {
  it("answers non-streaming and streaming requests with scripted text", async () => {
    server = await FakeLlmServer.start({ script: [{ text: "first reply" }, { text: "second, streamed reply" }] });
    const model = modelFor(server);
    const plain = await generateText({ model, prompt: "hi", maxRetries: 0 });
    expect(plain.text).toBe("first reply");
    const streamed = streamText({ model, prompt: "again", maxRetries: 0 });
    const pieces: string[] = [];
    for await (const piece of streamed.textStream) pieces.push(piece);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe("second, streamed reply");
    expect(server.requests.map((request) => request.stream)).toEqual([false, true]);
  });

  it("keeps idle connections open as long as keepAliveTimeoutMs says (Node's 5 s otherwise)", async () => {
    server = await FakeLlmServer.start({ keepAliveTimeoutMs: 60_000 });
    const long = await fetch(`${server.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    await long.text();
    expect(long.headers.get("keep-alive")).toBe("timeout=60");
    await server.close();
    server = await FakeLlmServer.start();
    const standard = await fetch(`${server.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    await standard.text();
    expect(standard.headers.get("keep-alive")).toBe("timeout=5");
  });

  it("sends tool calls and structured output", async () => {
    server = await FakeLlmServer.start({
      script: [
        { toolCalls: [{ name: "ls", arguments: { path: "." } }] },
        { json: { isTask: true, complexity: "simple" } },
      ],
    });
    const model = modelFor(server);
    const withTools = await generateText({
      model,
      prompt: "list",
      maxRetries: 0,
      tools: { ls: { description: "list", inputSchema: z.object({ path: z.string() }) } },
    });
    expect(withTools.toolCalls).toMatchObject([{ toolName: "ls", input: { path: "." } }]);
    const structured = await generateText({
      model,
      prompt: "interview",
      maxRetries: 0,
      output: Output.object({ schema: z.object({ isTask: z.boolean(), complexity: z.enum(["simple", "complex"]) }) }),
    });
    expect(structured.output).toEqual({ isTask: true, complexity: "simple" });
    expect(server.requests[1]?.body.response_format?.type).toBe("json_schema");
  });

  it("answers with the scripted status, and 401 without the right key", async () => {
    server = await FakeLlmServer.start({ apiKey: "secret", script: [{ error: { status: 429 } }] });
    await expect(generateText({ model: modelFor(server), prompt: "x", maxRetries: 0 })).rejects.toMatchObject({
      statusCode: 401,
    });
    await expect(generateText({ model: modelFor(server, "secret"), prompt: "x", maxRetries: 0 })).rejects.toMatchObject(
      {
        statusCode: 429,
      },
    );
  });

  it("lists its models at GET /v1/models when given a list (behind the key), and 404 without one", async () => {
    server = await FakeLlmServer.start({ apiKey: "secret", models: ["fake-small", "fake-large"] });
    const listed = await fetch(`${server.baseUrl}/models`, { headers: { authorization: "Bearer secret" } });
    expect(await listed.json()).toMatchObject({ object: "list", data: [{ id: "fake-small" }, { id: "fake-large" }] });
    expect((await fetch(`${server.baseUrl}/models`)).status).toBe(401);
    const root = new URL(server.baseUrl).origin;
    expect((await fetch(`${root}/models`, { headers: { authorization: "Bearer secret" } })).status).toBe(404);
    await server.close();
    server = await FakeLlmServer.start();
    expect((await fetch(`${server.baseUrl}/models`)).status).toBe(404);
  });

  it("counts requests in flight and notices a client that hangs up", async () => {
    // Each reply is held until all five requests are in flight together.
    const arrive = arrivalBarrier(5);
    server = await FakeLlmServer.start({
      script: async () => {
        await arrive();
        return { text: "slow" };
      },
    });
    const model = modelFor(server);
    await Promise.all(Array.from({ length: 5 }, () => generateText({ model, prompt: "x", maxRetries: 0 })));
    expect(server.maxInFlight).toBe(5);
    expect(server.inFlight).toBe(0);
    expect(server.abortedRequests).toBe(0);

    server.setScript([{ hang: true }]);
    const controller = new AbortController();
    const pending = generateText({ model, prompt: "x", maxRetries: 0, abortSignal: controller.signal });
    await server.waitForRequests(6);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => server?.abortedRequests).toBe(1);
  });
});
