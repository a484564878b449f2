import { readFileSync } from "node:fs";
import { symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolSession } from "../registry.ts";
import { createHarness, errorCode, type Harness, okOutput, waitFor } from "../test-harness.ts";
import { McpClientManager } from "./mcp-client-manager.ts";

const here = dirname(fileURLToPath(import.meta.url));
const serverEntry = join(here, "../../node_modules/@modelcontextprotocol/server-everything/dist/index.js");
const tee = join(here, "../__fixtures__/mcp-tee.mjs");

let h: Harness;
let manager: McpClientManager;
let session: ToolSession;
let teeLog: string;
let victimLog: string;
let victimPidFile: string;

type SentMessage = { id?: number; method?: string; params?: Record<string, unknown> };

/** JSON-RPC messages the client sent to a teed server. */
function sent(log = teeLog): SentMessage[] {
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

function longCallId(): number | undefined {
  return sent().find(
    (message) =>
      message.method === "tools/call" &&
      message.params?.name === "trigger-long-running-operation" &&
      !sent().some((other) => other.method === "notifications/cancelled" && other.params?.requestId === message.id),
  )?.id;
}

function status(name: string) {
  const found = manager.listServers().find((server) => server.name === name);
  if (found === undefined) throw new Error(`no server ${name}`);
  return found;
}

beforeAll(async () => {
  h = await createHarness();
  teeLog = join(h.root, "mcp-tee.log");
  victimLog = join(h.root, "victim-tee.log");
  victimPidFile = join(h.root, "victim.pid");
  await writeFile(teeLog, "");
  await writeFile(victimLog, "");
  manager = new McpClientManager({
    clock: h.clock,
    logger: h.logger,
    servers: [
      {
        name: "everything",
        transport: {
          type: "stdio",
          command: process.execPath,
          args: [tee],
          env: { MCP_TEE_LOG: teeLog, MCP_SERVER_ENTRY: serverEntry },
        },
      },
      {
        name: "victim",
        transport: {
          type: "stdio",
          command: process.execPath,
          args: [tee],
          env: { MCP_TEE_LOG: victimLog, MCP_TEE_PID_FILE: victimPidFile, MCP_SERVER_ENTRY: serverEntry },
        },
      },
      { name: "missing", transport: { type: "stdio", command: join(h.root, "no-such-binary") } },
      { name: "off", enabled: false, transport: { type: "stdio", command: "true" } },
    ],
  });
  await manager.start();
  h.registry.register(...manager.tools());
  session = await h.sessionFor({});
});

afterAll(async () => {
  await manager?.close();
  await h?.cleanup();
});

describe("MCP client against server-everything over stdio", () => {
  it("lists servers with status and registers their tools as mcp__<server>__<tool>", () => {
    expect(status("everything")).toMatchObject({ state: "ready", transport: "stdio", restarts: 0 });
    expect(status("everything").pid).toBeGreaterThan(0);
    expect(status("everything").tools).toBeGreaterThan(5);
    expect(status("missing")).toMatchObject({ state: "restarting", failures: 1 });
    expect(status("missing").lastError).toContain("ENOENT");
    expect(status("off").state).toBe("disabled");
    expect(h.registry.names()).toContain("mcp__everything__get-sum");
    expect(h.registry.names()).toContain("mcp__victim__trigger-long-running-operation");
    const aiTools = session.toAiTools();
    const sum = aiTools["mcp__everything__get-sum"];
    if (sum === undefined) throw new Error("get-sum is not offered");
    expect(sum.description).toBe("Returns the sum of two numbers");
    expect((sum.inputSchema as { jsonSchema: unknown }).jsonSchema).toMatchObject({
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      required: ["a", "b"],
    });
  });

  it("calls a tool through the gate, which audits it and checks the server's schema", async () => {
    const output = okOutput<{ content: Array<{ type: string; text: string }> }>(
      await session.execute("mcp__everything__get-sum", { a: 2, b: 40 }),
    );
    expect(output.content[0]?.text).toContain("42");
    expect(h.audit.entries.some((entry) => entry.resource === "mcp__everything__get-sum")).toBe(true);
    expect(errorCode(await session.execute("mcp__everything__get-sum", { a: "two" }))).toBe("TOOL_INPUT_INVALID");
    expect(errorCode(await session.execute("mcp__everything__no-such-tool", {}))).toBe("TOOL_NOT_FOUND");
    const worker = await h.sessionFor({ template: "worker" });
    expect(errorCode(await worker.execute("mcp__everything__get-sum", { a: 1, b: 1 }))).toBe("TOOL_DENIED");
    await expect(manager.callTool("nobody", "x", {})).rejects.toMatchObject({ code: "MCP_SERVER_UNKNOWN" });
    await expect(manager.callTool("everything", "no-such-tool", {})).rejects.toMatchObject({
      code: "MCP_TOOL_FAILED",
    });
  });

  it("aborting a long-running tool settles ABORTED and sends notifications/cancelled", async () => {
    const controller = new AbortController();
    const call = session.execute(
      "mcp__everything__trigger-long-running-operation",
      { duration: 30, steps: 30 },
      { signal: controller.signal },
    );
    await waitFor(() => longCallId() !== undefined);
    const requestId = longCallId();
    controller.abort();
    expect(errorCode(await call)).toBe("ABORTED");
    await waitFor(() =>
      sent().some((message) => message.method === "notifications/cancelled" && message.params?.requestId === requestId),
    );
    // The server is still there for the next call.
    okOutput(await session.execute("mcp__everything__echo", { message: "still here" }));
  });

  it("a request that outlives its timeout on the Clock is cancelled with MCP_TIMEOUT", async () => {
    const call = manager.callTool("everything", "trigger-long-running-operation", { duration: 30, steps: 30 });
    await waitFor(() => longCallId() !== undefined);
    const requestId = longCallId();
    h.clock.advance(30_000);
    await expect(call).rejects.toMatchObject({ code: "MCP_TIMEOUT" });
    await waitFor(() =>
      sent().some((message) => message.method === "notifications/cancelled" && message.params?.requestId === requestId),
    );
  });

  it("a server killed mid-call gives MCP_SERVER_UNAVAILABLE and is restarted with backoff", async () => {
    const pid = status("victim").pid as number;
    const call = session.execute("mcp__victim__trigger-long-running-operation", { duration: 30, steps: 30 });
    // Kill the server once the call has reached it.
    await waitFor(() =>
      sent(victimLog).some(
        (message) => message.method === "tools/call" && message.params?.name === "trigger-long-running-operation",
      ),
    );
    process.kill(Number(readFileSync(victimPidFile, "utf8")), "SIGKILL");
    expect(errorCode(await call)).toBe("MCP_SERVER_UNAVAILABLE");
    expect(status("victim").state).toBe("restarting");
    expect(errorCode(await session.execute("mcp__victim__echo", { message: "x" }))).toBe("MCP_SERVER_UNAVAILABLE");

    // The first retry is due after the initial backoff (500 ms) on the Clock, not before.
    h.clock.advance(499);
    expect(status("victim").state).toBe("restarting");
    h.clock.advance(1);
    await waitFor(() => status("victim").state === "ready");
    expect(status("victim")).toMatchObject({ restarts: 1, failures: 0 });
    expect(status("victim").pid).not.toBe(pid);
    const echoed = okOutput<{ content: Array<{ text: string }> }>(
      await session.execute("mcp__victim__echo", { message: "back" }),
    );
    expect(echoed.content[0]?.text).toContain("back");
  });

  it("a server that was down at start reports through onConnected once it comes up, with its tools", async () => {
    const lateBinary = join(h.root, "late-node");
    const connected: string[] = [];
    const late = new McpClientManager({
      clock: h.clock,
      logger: h.logger,
      servers: [{ name: "late", transport: { type: "stdio", command: lateBinary, args: [serverEntry, "stdio"] } }],
      onConnected: (server) => connected.push(server),
    });
    try {
      await late.start();
      expect(late.listServers()[0]?.state).toBe("restarting");
      expect(late.tools()).toEqual([]);
      expect(connected).toEqual([]);
      await symlink(process.execPath, lateBinary);
      const due = late.listServers()[0]?.nextAttemptAt as number;
      h.clock.advance(Math.max(0, due - h.clock.now()));
      await waitFor(() => connected.length === 1);
      expect(connected).toEqual(["late"]);
      expect(late.tools().map((tool) => tool.name)).toContain("mcp__late__echo");
    } finally {
      await late.close();
    }
  });

  it("a server that cannot start backs off exponentially on the Clock", async () => {
    // Other tests advance the Clock too, so compare consecutive delays rather than counts.
    const first = status("missing");
    expect(first.state).toBe("restarting");
    const due = first.nextAttemptAt as number;
    const previousDelay = 500 * 2 ** (first.failures - 1);
    expect(due).toBeGreaterThan(h.clock.now());
    h.clock.advance(due - h.clock.now());
    await waitFor(() => status("missing").failures === first.failures + 1);
    const second = status("missing");
    expect(second.state).toBe("restarting");
    expect((second.nextAttemptAt as number) - h.clock.now()).toBe(Math.min(previousDelay * 2, 30_000));
  });
});
