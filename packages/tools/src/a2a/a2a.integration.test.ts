import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { TaskState } from "@a2a-js/sdk";
import { ClientFactory } from "@a2a-js/sdk/client";
import { createMemoryLogger, ManualClock, type MemoryLogger } from "@oxios/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServedHandler, serveFetch } from "../__fixtures__/serve-fetch.ts";
import type { ToolSession } from "../registry.ts";
import { createHarness, errorCode, type Harness, okOutput, waitFor } from "../test-harness.ts";
import { FakeA2aKernelPort } from "../testing/fake-a2a-kernel.ts";
import { A2aAgents, type A2aDelegation } from "./a2a-agents.ts";
import { type A2aServer, createA2aServer } from "./a2a-server.ts";
import { a2aTools } from "./a2a-tools.ts";

interface Endpoint {
  kernel: FakeA2aKernelPort;
  served: ServedHandler;
  a2a: A2aServer;
  /** The server's own log. */
  logger: MemoryLogger;
}

async function endpoint(name: string, skill: { id: string; name: string; tags: string[] }): Promise<Endpoint> {
  const kernel = new FakeA2aKernelPort();
  const logger = createMemoryLogger();
  let a2a: A2aServer | undefined;
  const served = await serveFetch((request) => (a2a as A2aServer).fetch(request));
  a2a = createA2aServer({
    kernel,
    logger,
    card: { name, description: `Oxios kernel ${name}`, version: "0.1.0", url: `${served.url}/a2a`, skills: [skill] },
  });
  return { kernel, served, a2a, logger };
}

let h: Harness;
let a: Endpoint;
let b: Endpoint;
let agents: A2aAgents;
let session: ToolSession;

beforeAll(async () => {
  h = await createHarness();
  a = await endpoint("kernel-a", { id: "summarize", name: "Summarize", tags: ["text"] });
  b = await endpoint("kernel-b", { id: "translate", name: "Translate", tags: ["language"] });
  agents = new A2aAgents({ clock: h.clock, logger: h.logger });
  await agents.addRemote(b.served.url);
  h.registry.register(...a2aTools(agents));
  session = await h.sessionFor({ permissions: { network: true } });
});

afterAll(async () => {
  await a?.a2a.close();
  await b?.a2a.close();
  await a?.served.close();
  await b?.served.close();
  await h?.cleanup();
});

describe("A2A server and client on 127.0.0.1", () => {
  it("serves the kernel's agent card", async () => {
    const response = await fetch(`${a.served.url}/.well-known/agent-card.json`);
    expect(response.status).toBe(200);
    const card = (await response.json()) as { name: string; supportedInterfaces: Array<{ url: string }> };
    expect(card.name).toBe("kernel-a");
    expect(card.supportedInterfaces[0]?.url).toBe(`${a.served.url}/a2a`);
    expect((await fetch(`${a.served.url}/elsewhere`)).status).toBe(404);
  });

  it("a2a_delegate hands a task to the agent with the capability and streams it to completion", async () => {
    const call = session.execute("a2a_delegate", {
      description: "translate hello to French",
      capability: "language",
      payload: { text: "hello" },
      priority: "high",
    });
    await waitFor(() => b.kernel.tasks.size === 1);
    const taskId = [...b.kernel.tasks.keys()][0] as string;
    expect(b.kernel.tasks.get(taskId)?.request).toMatchObject({
      goal: "translate hello to French",
      payload: { text: "hello" },
      priority: "high",
    });
    b.kernel.update(taskId, { state: "running", message: "translating" });
    b.kernel.update(taskId, { state: "completed", message: "bonjour", output: { text: "bonjour" } });
    const delegation = okOutput<A2aDelegation>(await call);
    expect(delegation).toMatchObject({
      agent: "kernel-b",
      state: "completed",
      text: "bonjour",
      output: { text: "bonjour" },
    });
    expect(delegation.updates.map((update) => update.state)).toEqual(
      expect.arrayContaining(["submitted", "working", "completed"]),
    );
    expect(delegation.updates.at(-1)?.state).toBe("completed");
  });

  it("A2A tools need network access and a capability someone offers", async () => {
    const offline = await h.sessionFor({});
    expect(errorCode(await offline.execute("a2a_query", {}))).toBe("TOOL_NETWORK_DENIED");
    expect(okOutput<Array<{ name: string }>>(await session.execute("a2a_query", { capability: "language" }))).toEqual([
      expect.objectContaining({ name: "kernel-b", source: "remote", circuit: "closed" }),
    ]);
    expect(okOutput(await session.execute("a2a_query", { capability: "cooking" }))).toEqual([]);
    expect(errorCode(await session.execute("a2a_delegate", { description: "cook", capability: "cooking" }))).toBe(
      "A2A_AGENT_UNKNOWN",
    );
    expect(errorCode(await session.execute("a2a_send", { targetAgent: "file:///etc/passwd", content: "x" }))).toBe(
      "A2A_URL_INVALID",
    );
  });

  it("a2a_send talks to a named agent and returns the task's answer", async () => {
    const before = b.kernel.tasks.size;
    const call = session.execute("a2a_send", { targetAgent: "kernel-b", type: "request", content: "status?" });
    await waitFor(() => b.kernel.tasks.size === before + 1);
    const taskId = [...b.kernel.tasks.keys()].at(-1) as string;
    b.kernel.update(taskId, { state: "completed", message: "all good" });
    expect(okOutput(await call)).toMatchObject({
      agent: "kernel-b",
      kind: "task",
      state: "completed",
      text: "all good",
    });
  });

  it("the SDK's own client streams status over SSE and CancelTask really cancels the kernel run", async () => {
    const client = await new ClientFactory().createFromUrl(a.served.url);
    const stream = client.sendMessageStream({
      tenant: "",
      message: {
        messageId: "m-1",
        contextId: "",
        taskId: "",
        role: 1,
        parts: [
          {
            content: { $case: "text", value: "summarize this" },
            metadata: undefined,
            filename: "",
            mediaType: "text/plain",
          },
        ],
        metadata: undefined,
        extensions: [],
        referenceTaskIds: [],
      },
      configuration: undefined,
      metadata: undefined,
    });
    const states: TaskState[] = [];
    let a2aTaskId = "";
    for await (const event of stream) {
      const payload = event.payload;
      if (payload?.$case === "task") {
        a2aTaskId = payload.value.id;
        states.push(payload.value.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED);
      } else if (payload?.$case === "statusUpdate") {
        states.push(payload.value.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED);
        if (payload.value.status?.state === TaskState.TASK_STATE_SUBMITTED) {
          a.kernel.update(a.kernel.taskFor(a2aTaskId) as string, { state: "running", message: "working on it" });
        }
        if (payload.value.status?.state === TaskState.TASK_STATE_WORKING) {
          const cancelled = await client.cancelTask({ tenant: "", id: a2aTaskId, metadata: undefined });
          expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
        }
      }
    }
    expect(states).toEqual(
      expect.arrayContaining([
        TaskState.TASK_STATE_SUBMITTED,
        TaskState.TASK_STATE_WORKING,
        TaskState.TASK_STATE_CANCELED,
      ]),
    );
    expect(states.at(-1)).toBe(TaskState.TASK_STATE_CANCELED);
    expect(a.kernel.cancelled).toEqual([a.kernel.taskFor(a2aTaskId)]);
  });

  it("aborting a2a_delegate cancels the remote task; the server drops what its stream yields after the caller left", async () => {
    const controller = new AbortController();
    const before = b.kernel.tasks.size;
    // Only this call's log records count: earlier delegations in this file logged updates too.
    const logged = h.logger.records.length;
    const call = session.execute(
      "a2a_delegate",
      { description: "a long translation", capability: "translate" },
      { signal: controller.signal },
    );
    await waitFor(() => b.kernel.tasks.size === before + 1);
    const taskId = [...b.kernel.tasks.keys()].at(-1) as string;
    b.kernel.update(taskId, { state: "running" });
    // Abort once the caller has seen the task running: it knows the remote task id by then.
    await waitFor(() =>
      h.logger.records
        .slice(logged)
        .some((record) => record.message === "delegated task update" && record.fields.state === "working"),
    );
    controller.abort();
    expect(errorCode(await call)).toBe("ABORTED");
    await waitFor(() => b.kernel.cancelled.includes(taskId));
    // The server's pull that was waiting when the caller left wakes on the cancellation: it
    // writes nothing to the closed stream, so nothing fails.
    const woke = (text: string) => b.logger.records.some((record) => record.message.includes(text));
    await waitFor(() => woke("its caller left") || woke("A2A stream failed"));
    expect(b.logger.find("warn", "A2A stream failed")).toEqual([]);
  });

  it("a remote agent behind a token is reached with the headers given to addRemote", async () => {
    const kernel = new FakeA2aKernelPort();
    let a2a: A2aServer | undefined;
    const seen: Array<string | null> = [];
    const guarded = await serveFetch(async (request) => {
      seen.push(request.headers.get("authorization"));
      if (request.headers.get("authorization") !== "Bearer peer-token") {
        return new Response(JSON.stringify({ error: "unauthorized" }), { status: 401 });
      }
      return (a2a as A2aServer).fetch(request);
    });
    a2a = createA2aServer({
      kernel,
      card: {
        name: "kernel-c",
        description: "a kernel that wants a token",
        version: "0.1.0",
        url: `${guarded.url}/a2a`,
        skills: [{ id: "count", name: "Count", tags: ["math"] }],
      },
    });
    try {
      const peers = new A2aAgents({ clock: h.clock, logger: h.logger, retry: { maxRetries: 0 } });
      await expect(peers.addRemote(guarded.url)).rejects.toMatchObject({ code: "A2A_AGENT_CARD_INVALID" });
      await peers.addRemote(guarded.url, { headers: { authorization: "Bearer peer-token" } });
      const sending = peers.send("kernel-c", { type: "request", content: "count to three" });
      await waitFor(() => kernel.tasks.size === 1);
      const taskId = [...kernel.tasks.keys()][0] as string;
      kernel.update(taskId, { state: "completed", message: "1 2 3" });
      expect(await sending).toMatchObject({ agent: "kernel-c", state: "completed", text: "1 2 3" });
      expect(seen.filter((header) => header === "Bearer peer-token").length).toBeGreaterThanOrEqual(2);
    } finally {
      await a2a.close();
      await guarded.close();
    }
  });

  it("a remote agent card that does not validate is A2A_AGENT_CARD_INVALID", async () => {
    const bad = await serveFetch(async () => Response.json({ name: "", supportedInterfaces: [{ url: "ftp://x" }] }));
    try {
      await expect(agents.addRemote(bad.url)).rejects.toMatchObject({ code: "A2A_AGENT_CARD_INVALID" });
      expect(() => agents.addLocal({ name: "x" })).toThrow(expect.objectContaining({ code: "A2A_AGENT_CARD_INVALID" }));
    } finally {
      await bad.close();
    }
  });

  it("an unreachable agent is retried with backoff, then its circuit opens", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const dead = `http://127.0.0.1:${port}`;
    // Real fetches to a closed port; the wrapper only counts when each attempt has failed.
    let failed = 0;
    const clock = new ManualClock();
    const lonely = new A2aAgents({
      clock,
      fetch: (input, init) =>
        fetch(input, init).finally(() => {
          failed += 1;
        }),
    });
    const outcome = lonely.addRemote(dead).then(
      () => "resolved",
      (error: { code?: string }) => error.code,
    );
    // Three retries, each after 100·2ⁿ ms on the Clock, and not before.
    for (const [index, delay] of [100, 200, 400].entries()) {
      await waitFor(() => failed === index + 1);
      clock.advance(delay - 1);
      expect(failed).toBe(index + 1);
      clock.advance(1);
    }
    expect(await outcome).toBe("A2A_REMOTE_FAILED");
    expect(failed).toBe(4);
    // The next call fails once more: the fifth consecutive failure opens the circuit.
    const again = lonely.addRemote(dead).then(
      () => "resolved",
      (error: { code?: string }) => error.code,
    );
    await waitFor(() => failed === 5);
    clock.advance(100);
    expect(await again).toBe("A2A_CIRCUIT_OPEN");
    // Open for 30 s; then one half-open probe goes out (and fails again here).
    await expect(lonely.addRemote(dead)).rejects.toMatchObject({ code: "A2A_CIRCUIT_OPEN" });
    expect(failed).toBe(5);
    clock.advance(30_000);
    const probeCall = lonely.addRemote(dead).then(
      () => "resolved",
      (error: { code?: string }) => error.code,
    );
    await waitFor(() => failed === 6);
    clock.advance(100);
    expect(await probeCall).toBe("A2A_CIRCUIT_OPEN");
  });

  it("an answer from the agent or an abort by the caller does not count against its circuit", async () => {
    // One failure would open the circuit; neither a 404 answer nor an abort is one.
    let calls = 0;
    let waiting = 0;
    const peers = new A2aAgents({
      clock: h.clock,
      logger: h.logger,
      retry: { maxRetries: 0 },
      breaker: { failureThreshold: 1 },
      fetch: (input, init) => {
        calls += 1;
        if (calls === 1) return Promise.resolve(new Response("no card here", { status: 404 }));
        if (calls === 2) {
          return new Promise<Response>((_, reject) => {
            const signal = init?.signal as AbortSignal;
            waiting += 1;
            signal.addEventListener("abort", () => reject(signal.reason), { once: true });
          });
        }
        return fetch(input, init);
      },
    });
    await expect(peers.addRemote(b.served.url)).rejects.toMatchObject({ code: "A2A_AGENT_CARD_INVALID" });
    const controller = new AbortController();
    const aborted = peers.addRemote(b.served.url, { signal: controller.signal });
    await waitFor(() => waiting === 1);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: "ABORTED" });
    const card = await peers.addRemote(b.served.url);
    expect(card.name).toBe("kernel-b");
    expect(peers.circuit("kernel-b")).toBe("closed");
  });
});
