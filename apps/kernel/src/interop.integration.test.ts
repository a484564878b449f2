import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type StreamResponse, TaskState } from "@a2a-js/sdk";
import { type Client, ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { type ServedHttp, serve } from "@oxios/daemon";
import { FakeLlmServer, type FakeRequest, lastUserText } from "@oxios/runtime/testing";
import { type A2aServer, createA2aServer } from "@oxios/tools/a2a";
import { FakeA2aKernelPort } from "@oxios/tools/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { textOf, userMessage } from "./__fixtures__/a2a-messages.ts";
import { eventually, type KernelProcess, startKernel, tempHome } from "./__fixtures__/kernel-process.ts";

interface Run {
  taskId: string;
  status: string;
  text?: string;
  toolCalls?: Array<{ name: string; ok: boolean }>;
}

interface Status {
  modules: Record<string, string>;
  interop: {
    mcp: Array<{ name: string; state: string; tools: number; pid?: number }>;
    a2a: Array<{ url: string; state: string; name?: string }>;
    browser: { enabled: boolean; reason: string };
    tools: string[];
  };
}

const serverEverything = join(
  createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/package.json"),
  "../dist/index.js",
);

/** Tool names offered to the model, per request, and the tool results it was sent. */
const offered: string[][] = [];
const toolResults: string[] = [];

function responder(request: FakeRequest) {
  offered.push((request.body.tools ?? []).map((tool) => tool.function.name));
  const toolMessages = (request.body.messages ?? []).filter((message) => message.role === "tool");
  if (toolMessages.length > 0) {
    toolResults.push(...toolMessages.map((message) => JSON.stringify(message.content)));
    return { text: "tool finished" };
  }
  const text = lastUserText(request.body) ?? "";
  if (text.includes("MCP ECHO")) {
    return { toolCalls: [{ name: "mcp__everything__echo", arguments: { message: "hello over mcp" } }] };
  }
  if (text.includes("A2A QUERY")) return { toolCalls: [{ name: "a2a_query", arguments: { capability: "language" } }] };
  if (text.includes("HANG")) return { hang: true as const };
  return { text: `answer to: ${text.split("\n")[0]}` };
}

async function waitRun(kernel: KernelProcess, taskId: string): Promise<Run> {
  return eventually(async () => {
    const run = await kernel.json<Run>("GET", `/api/runs/${taskId}`);
    return ["completed", "failed", "cancelled"].includes(run.status) ? run : undefined;
  });
}

describe("the kernel's interop: A2A server, MCP servers, remote agents, browser", () => {
  let fake: FakeLlmServer;
  let kernel: KernelProcess;
  let peer: { a2a: A2aServer; served: ServedHttp };
  let client: Client;
  const home = tempHome();

  beforeAll(async () => {
    fake = await FakeLlmServer.start({ script: responder });
    // A second A2A endpoint the kernel knows as a remote agent.
    let peerServer: A2aServer | undefined;
    const served = await serve((request) => (peerServer as A2aServer).fetch(request), {
      hostname: "127.0.0.1",
      port: 0,
    });
    peerServer = createA2aServer({
      kernel: new FakeA2aKernelPort(),
      card: {
        name: "translator",
        description: "translates",
        version: "1.0.0",
        url: `${served.url}/a2a`,
        skills: [{ id: "translate", name: "Translate", tags: ["language"] }],
      },
    });
    peer = { a2a: peerServer, served };
    writeFileSync(
      join(home, "config.toml"),
      [
        "agent_network = true",
        `a2a_agents = ["${served.url}"]`,
        "",
        "[mcp.servers.everything]",
        'transport = "stdio"',
        `command = ${JSON.stringify(process.execPath)}`,
        `args = [${JSON.stringify(serverEverything)}, "stdio"]`,
        "",
        "[mcp.servers.broken]",
        `command = ${JSON.stringify(join(home, "no-such-mcp-server"))}`,
        "",
      ].join("\n"),
    );
    kernel = await startKernel(home, {
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
      OXIOS_LLM_API_KEY: "sk-llm-key-never-a-token",
      OXIOS_BROWSER: "on",
    });
    const token = kernel.token;
    const authed: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set("authorization", `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    };
    client = await new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl: authed })],
      }),
    ).createFromUrl(kernel.url);
  });

  afterAll(async () => {
    if (kernel !== undefined && kernel.child.exitCode === null) kernel.child.kill("SIGKILL");
    await peer?.a2a.close();
    await peer?.served.close();
    await fake?.close();
  });

  it("serves its agent card without a token, and the JSON-RPC endpoint only with one", async () => {
    const response = await fetch(`${kernel.url}/.well-known/agent-card.json`);
    expect(response.status).toBe(200);
    const card = (await response.json()) as {
      name: string;
      supportedInterfaces: Array<{ url: string; protocolBinding: string }>;
      skills: Array<{ id: string }>;
    };
    expect(card.name).toBe("oxios");
    expect(card.supportedInterfaces[0]).toMatchObject({ url: `${kernel.url}/a2a`, protocolBinding: "JSONRPC" });
    expect(card.skills.map((skill) => skill.id)).toContain("run-goal");
    const anonymous = await fetch(`${kernel.url}/a2a`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "x" } }),
    });
    expect(anonymous.status).toBe(401);
    const document = await kernel.json<{ paths: Record<string, unknown> }>("GET", "/api/openapi.json");
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/.well-known/agent-card.json", "/a2a"]));
  });

  it("an A2A message becomes a real kernel run whose status streams to completion", async () => {
    const states: TaskState[] = [];
    let kernelTaskId = "";
    let a2aTaskId = "";
    let answer = "";
    for await (const event of client.sendMessageStream({
      tenant: "",
      message: userMessage("say hello over a2a"),
      configuration: undefined,
      metadata: undefined,
    }) as AsyncIterable<StreamResponse>) {
      const payload = event.payload;
      if (payload?.$case === "task") {
        a2aTaskId = payload.value.id;
        states.push(payload.value.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED);
      } else if (payload?.$case === "statusUpdate") {
        states.push(payload.value.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED);
        kernelTaskId = String(payload.value.metadata?.kernelTaskId ?? kernelTaskId);
        if (payload.value.status?.state === TaskState.TASK_STATE_COMPLETED) {
          answer = textOf(payload.value.status.message);
        }
      }
    }
    expect(states[0]).toBe(TaskState.TASK_STATE_SUBMITTED);
    expect(states).toContain(TaskState.TASK_STATE_WORKING);
    expect(states.at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(answer).toBe("answer to: say hello over a2a");
    const run = await kernel.json<Run>("GET", `/api/runs/${kernelTaskId}`);
    expect(run).toMatchObject({ status: "completed", text: "answer to: say hello over a2a" });
    const task = await client.getTask({ tenant: "", id: a2aTaskId, historyLength: undefined });
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it("CancelTask cancels the running kernel run (its model request is aborted)", async () => {
    const abortedBefore = fake.abortedRequests;
    const inFlightBefore = fake.inFlight;
    const states: TaskState[] = [];
    let kernelTaskId = "";
    let a2aTaskId = "";
    for await (const event of client.sendMessageStream({
      tenant: "",
      message: userMessage("HANG until cancelled"),
      configuration: undefined,
      metadata: undefined,
    }) as AsyncIterable<StreamResponse>) {
      const payload = event.payload;
      if (payload?.$case === "task") a2aTaskId = payload.value.id;
      else if (payload?.$case === "statusUpdate") {
        const state = payload.value.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
        states.push(state);
        kernelTaskId = String(payload.value.metadata?.kernelTaskId ?? kernelTaskId);
        if (state === TaskState.TASK_STATE_WORKING) {
          expect((await kernel.json<Run>("GET", `/api/runs/${kernelTaskId}`)).status).toBe("running");
          // Cancel once the model request hangs at the fake, so there is a request to abort.
          await eventually(() => (fake.inFlight > inFlightBefore ? true : undefined));
          const cancelled = await client.cancelTask({ tenant: "", id: a2aTaskId, metadata: undefined });
          expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
        }
      }
    }
    expect(states.at(-1)).toBe(TaskState.TASK_STATE_CANCELED);
    expect((await waitRun(kernel, kernelTaskId)).status).toBe("cancelled");
    await eventually(() => (fake.abortedRequests > abortedBefore ? true : undefined));
  });

  it("MCP servers from config.toml show in /api/status and their tools are offered to agents through the gate", async () => {
    const status = await kernel.json<Status>("GET", "/api/status");
    const everything = status.interop.mcp.find((server) => server.name === "everything");
    expect(everything).toMatchObject({ state: "ready" });
    expect(everything?.tools).toBeGreaterThan(5);
    // A server that cannot start is not fatal: it is listed as unavailable.
    expect(status.interop.mcp.find((server) => server.name === "broken")?.state).toMatch(/restarting|starting/);
    expect(status.modules.mcp).toBe("degraded (1/2 servers ready)");
    expect(status.interop.tools).toEqual(
      expect.arrayContaining(["mcp__everything__echo", "a2a_delegate", "a2a_send", "a2a_query", "browser_browse"]),
    );
    expect(status.interop.a2a).toEqual([{ url: `${peer.served.url}/`, state: "ready", name: "translator" }]);
    expect(status.interop.browser.enabled).toBe(true);

    const started = await kernel.json<Run>("POST", "/api/runs", { goal: "MCP ECHO please" });
    const run = await waitRun(kernel, started.taskId);
    expect(run.status).toBe("completed");
    expect(run.toolCalls).toEqual([expect.objectContaining({ name: "mcp__everything__echo", ok: true })]);
    expect(offered.some((names) => names.includes("mcp__everything__echo") && names.includes("a2a_query"))).toBe(true);
    expect(toolResults.some((result) => result.includes("hello over mcp"))).toBe(true);
  });

  it("agents reach the configured remote A2A agents with the a2a_* tools", async () => {
    const started = await kernel.json<Run>("POST", "/api/runs", { goal: "A2A QUERY who translates" });
    const run = await waitRun(kernel, started.taskId);
    expect(run.toolCalls).toEqual([expect.objectContaining({ name: "a2a_query", ok: true })]);
    expect(toolResults.some((result) => result.includes("translator"))).toBe(true);
  });

  it("SIGTERM closes the MCP clients in the ordered shutdown (the stdio server exits)", async () => {
    const status = await kernel.json<Status>("GET", "/api/status");
    const pid = status.interop.mcp.find((server) => server.name === "everything")?.pid as number;
    expect(pid).toBeGreaterThan(0);
    kernel.child.kill("SIGTERM");
    expect((await kernel.exited).code).toBe(0);
    expect(kernel.output()).toMatch(/stop agents[\s\S]*close interop[\s\S]*flush memory writes/);
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await eventually(() => (alive() ? undefined : true));
  });
});
