import { type ClientRequest, request as httpRequest } from "node:http";
import { FakeLlmServer, lastUserText } from "@oxios/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type KernelProcess, startKernel, tempHome } from "./__fixtures__/kernel-process.ts";

const MiB = 1024 * 1024;

interface Answer {
  status: number;
  body: { error?: { code: string } };
}

/**
 * Starts a POST whose body is `first` and stays open (chunked, never ended): the answer can
 * only arrive before the body is complete, so getting one proves the body was refused
 * without being read to its end, let alone parsed.
 */
function openUpload(
  kernel: KernelProcess,
  path: string,
  first: string,
): { request: ClientRequest; answer: Promise<Answer> } {
  const url = new URL(path, kernel.url);
  const request = httpRequest(url, {
    method: "POST",
    headers: { authorization: `Bearer ${kernel.token}`, "content-type": "application/json" },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    request.once("error", reject);
    request.once("response", (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.once("end", () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Answer["body"] }),
      );
    });
  });
  request.write(first);
  return { request, answer };
}

describe("hostile HTTP input", () => {
  let fake: FakeLlmServer;
  let kernel: KernelProcess;

  beforeAll(async () => {
    fake = await FakeLlmServer.start({
      script: (request) => ({ text: `read ${lastUserText(request.body).length} characters` }),
    });
    kernel = await startKernel(tempHome(), {
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
      OXIOS_LLM_API_KEY: "sk-hostile-input-key",
    });
  });

  afterAll(async () => {
    if (kernel.child.exitCode === null) kernel.child.kill("SIGKILL");
    await fake.close();
  });

  it("refuses JSON nested deeper than 64 with 400 JSON_TOO_DEEP, and accepts 64", async () => {
    const nested = (depth: number) => `{"query": ${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const deep = await kernel.request("POST", "/api/memory/search", nested(65));
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ error: { code: "JSON_TOO_DEEP" } });
    // 64 levels pass the guard (the root object is one of them): the schema then names the field.
    const allowed = await kernel.request("POST", "/api/memory/search", nested(63));
    expect(allowed.status).toBe(422);
    expect(await allowed.json()).toMatchObject({ error: { code: "BODY_INVALID", field: "query" } });
    // Brackets inside strings are text, however many.
    const text = await kernel.request("POST", "/api/memory/search", { query: "[".repeat(1_000), limit: 1 });
    expect(text.status).toBe(200);
  });

  it("refuses a 10 MB nested body and a 10 MB wide body while /health keeps answering", async () => {
    const nested = `${"[".repeat(5 * MiB)}${"]".repeat(5 * MiB)}`;
    const wide = `[${"1,".repeat(5 * MiB - 16)}1]`;
    const [deep, many, health] = await Promise.all([
      kernel.request("POST", "/api/runs", nested),
      kernel.request("POST", "/api/runs", wide),
      fetch(`${kernel.url}/health`),
    ]);
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ error: { code: "JSON_TOO_DEEP" } });
    expect(many.status).toBe(400);
    expect(await many.json()).toMatchObject({ error: { code: "JSON_TOO_MANY_VALUES" } });
    expect(health.status).toBe(200);
  });

  it("refuses a deep body before the rest of it has even arrived, and answers /health meanwhile", async () => {
    const upload = openUpload(kernel, "/api/runs", "[".repeat(MiB));
    try {
      const answer = await upload.answer;
      expect(answer).toEqual({ status: 400, body: { error: expect.objectContaining({ code: "JSON_TOO_DEEP" }) } });
      expect(upload.request.writableEnded).toBe(false);
      expect((await fetch(`${kernel.url}/health`)).status).toBe(200);
    } finally {
      upload.request.destroy();
    }
  });

  it("refuses a body with more than 10,000 values before the rest of it has arrived", async () => {
    const upload = openUpload(kernel, "/a2a", `{"jsonrpc":"2.0","params":{"x":[${"0,".repeat(20_000)}`);
    try {
      const answer = await upload.answer;
      expect(answer).toEqual({
        status: 400,
        body: { error: expect.objectContaining({ code: "JSON_TOO_MANY_VALUES" }) },
      });
      expect(upload.request.writableEnded).toBe(false);
    } finally {
      upload.request.destroy();
    }
  });

  it("runs a 100 KB goal end to end (recall searches with a bounded query)", async () => {
    const goal = `Summarise the notes below. ${"The quarterly numbers were fine. ".repeat(3_200)}End.`;
    expect(goal.length).toBeGreaterThan(100 * 1024);
    const started = await kernel.json<{ taskId: string }>("POST", "/api/runs", { goal });
    const run = await eventually(async () => {
      const current = await kernel.json<{ status: string; text?: string; error?: unknown }>(
        "GET",
        `/api/runs/${started.taskId}?waitMs=10000`,
      );
      return current.status === "queued" || current.status === "running" ? undefined : current;
    });
    expect(run).toMatchObject({ status: "completed", text: `read ${goal.length} characters` });
  });
});

describe("binding", () => {
  it("warns, naming the exposure, when the API listens beyond loopback", async () => {
    const kernel = await startKernel(tempHome(), { OXIOS_HOST: "0.0.0.0" });
    try {
      await eventually(() =>
        /"level":"warn".*listens on every network interface \(0\.0\.0\.0\)/.test(kernel.output()) ? true : undefined,
      );
    } finally {
      kernel.child.kill("SIGTERM");
      await kernel.exited;
    }
  });
});
