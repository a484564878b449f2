/**
 * The A2A server and client when the SDK cannot be loaded: the request or call is refused with
 * `A2A_SDK_UNAVAILABLE`, nothing is cached, and the next one loads the SDK and is answered.
 */
import { describe, expect, it, vi } from "vitest";
import type { PortCallOptions } from "../ports.ts";
import { FakeA2aKernelPort } from "../testing/index.ts";
import { A2aAgents } from "./a2a-agents.ts";
import { AGENT_CARD_PATH, createA2aServer } from "./a2a-server.ts";
import type { A2aTaskRequest } from "./kernel-port.ts";

const sdkImport = vi.hoisted(() => ({
  server: { fail: true, attempts: 0 },
  client: { fail: true, attempts: 0 },
}));

vi.mock("@a2a-js/sdk/server", async (importOriginal) => {
  sdkImport.server.attempts++;
  if (sdkImport.server.fail) throw new Error("Cannot find package '@a2a-js/sdk'");
  return importOriginal();
});

vi.mock("@a2a-js/sdk/client", async (importOriginal) => {
  sdkImport.client.attempts++;
  if (sdkImport.client.fail) throw new Error("Cannot find package '@a2a-js/sdk'");
  return importOriginal();
});

/** A kernel that finishes every task as soon as it is submitted. */
class AnsweringKernel extends FakeA2aKernelPort {
  override async submit(request: A2aTaskRequest, options?: PortCallOptions): Promise<{ taskId: string }> {
    const submitted = await super.submit(request, options);
    this.update(submitted.taskId, { state: "completed", message: `echo: ${request.goal}` });
    return submitted;
  }
}

describe("the A2A server without its SDK", () => {
  it("refuses with A2A_SDK_UNAVAILABLE, then loads the SDK at the next request", async () => {
    const server = createA2aServer({
      kernel: new FakeA2aKernelPort(),
      card: { name: "kernel", description: "k", version: "1.0.0", url: "http://127.0.0.1:1/a2a" },
    });
    const card = () => server.fetch(new Request(`http://127.0.0.1:1${AGENT_CARD_PATH}`));
    await expect(card()).rejects.toMatchObject({ code: "A2A_SDK_UNAVAILABLE" });
    sdkImport.server.fail = false;
    const response = await card();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: "kernel" });
    expect(sdkImport.server.attempts).toBe(2);
    await server.close();
  });

  it("a call to another agent refuses with A2A_SDK_UNAVAILABLE without the client, then loads it", async () => {
    sdkImport.server.fail = false;
    const peer = createA2aServer({
      kernel: new AnsweringKernel(),
      card: { name: "peer", description: "echoes", version: "1.0.0", url: "http://peer.test/a2a" },
    });
    const agents = new A2aAgents({
      local: [peer.card],
      fetch: (input, init) => peer.fetch(new Request(input, init)),
    });
    const send = () => agents.send("peer", { type: "request", content: "hello" });
    await expect(send()).rejects.toMatchObject({ code: "A2A_SDK_UNAVAILABLE" });
    // Not the agent's failure: its circuit stays closed.
    expect(agents.circuit("peer")).toBe("closed");
    sdkImport.client.fail = false;
    expect(await send()).toMatchObject({ agent: "peer", kind: "task", state: "completed", text: "echo: hello" });
    expect(sdkImport.client.attempts).toBe(2);
    await peer.close();
  });
});
