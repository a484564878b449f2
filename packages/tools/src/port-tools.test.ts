import { settle } from "@oxios/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentIdentity } from "./permissions.ts";
import type { SchedulePort, SkillPort } from "./ports.ts";
import { createHarness, errorCode, type Harness, okOutput } from "./test-harness.ts";
import type { Hold } from "./testing/hold.ts";

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const operator: Partial<AgentIdentity> = { template: "operator", role: "superuser", sessionId: "session-1" };
const admin: Partial<AgentIdentity> = { template: "supervisor", role: "admin" };

describe("memory tools", () => {
  it("write, read by id, list recent and search", async () => {
    h = await createHarness();
    const stored = okOutput<{ id: string }>(
      await h.session.execute("memory_write", { content: "the deploy key lives in vault", tags: ["ops"] }),
    );
    okOutput(await h.session.execute("memory_write", { content: "user prefers tabs", type: "preference" }));
    expect(h.memory.records[0]).toMatchObject({ type: "note", tags: ["ops"], importance: 0.5 });
    const byId = okOutput<Array<{ id: string }>>(await h.session.execute("memory_read", { id: stored.id }));
    expect(byId.map((record) => record.id)).toEqual([stored.id]);
    const prefs = okOutput<Array<{ content: string }>>(await h.session.execute("memory_read", { type: "preference" }));
    expect(prefs.map((record) => record.content)).toEqual(["user prefers tabs"]);
    const found = okOutput<Array<{ content: string }>>(
      await h.session.execute("memory_search", { query: "deploy vault" }),
    );
    expect(found[0]?.content).toBe("the deploy key lives in vault");
    expect(errorCode(await h.session.execute("memory_read", { id: "missing" }))).toBe("TOOL_MEMORY_NOT_FOUND");
    expect(errorCode(await h.session.execute("memory_write", { content: "x", importance: 2 }))).toBe(
      "TOOL_INPUT_INVALID",
    );
  });

  it("a worker may read memories but not write them", async () => {
    h = await createHarness({ agent: { template: "worker" } });
    expect(errorCode(await h.session.execute("memory_write", { content: "x" }))).toBe("TOOL_DENIED");
    okOutput(await h.session.execute("memory_search", { query: "x" }));
  });
});

describe("space tools", () => {
  it("list and get for standard agents; activate needs operator", async () => {
    h = await createHarness();
    const spaces = okOutput<Array<{ id: string }>>(await h.session.execute("space_list", {}));
    expect(spaces.map((space) => space.id)).toEqual(["space-a", "space-b"]);
    expect(okOutput(await h.session.execute("space_get", { spaceId: "space-b" }))).toEqual({
      id: "space-b",
      name: "Beta",
    });
    expect(errorCode(await h.session.execute("space_get", { spaceId: "zzz" }))).toBe("TOOL_SPACE_NOT_FOUND");
    expect(errorCode(await h.session.execute("space_activate", { spaceId: "space-a" }))).toBe("TOOL_DENIED");
    const session = await h.sessionFor(operator);
    okOutput(await session.execute("space_activate", { spaceId: "space-a" }));
    expect(h.space.active.get("session-1")).toBe("space-a");
  });
});

describe("kernel and audit tools", () => {
  it("kernel_agents lists; kill needs approval below admin and kills when approved", async () => {
    h = await createHarness();
    const session = await h.sessionFor(operator);
    const listed = okOutput<{ agents: Array<{ agentId: string }> }>(await session.execute("kernel_agents", {}));
    expect(listed.agents.map((agent) => agent.agentId)).toEqual(["agent-2", "agent-3"]);
    expect(errorCode(await session.execute("kernel_agents", { action: "kill" }))).toBe("TOOL_INPUT_INVALID");

    const adminSession = await h.sessionFor(admin);
    expect(okOutput(await adminSession.execute("kernel_agents", { action: "kill", agentId: "agent-2" }))).toEqual({
      agentId: "agent-2",
      killed: true,
    });
    expect(h.kernel.killed).toEqual([{ agentId: "agent-2", reason: "killed by an agent" }]);
  });

  it("scheduler_stats, audit_verify and audit_query", async () => {
    h = await createHarness();
    const session = await h.sessionFor(operator);
    h.kernel.stats = { queued: 3, running: 1 };
    expect(okOutput(await session.execute("scheduler_stats", {}))).toEqual({ queued: 3, running: 1 });
    const verified = okOutput<{ ok: boolean; entries: number }>(await session.execute("audit_verify", {}));
    expect(verified.ok).toBe(true);
    const denied = await h.session.execute("read", { path: "/etc/passwd" });
    expect(denied.ok).toBe(false);
    const entries = okOutput<Array<{ action: string; resource: string }>>(
      await session.execute("audit_query", { action: "tool.denied" }),
    );
    expect(entries.map((entry) => entry.resource)).toEqual(["read"]);
  });

  it("a missing port fails TOOL_UNAVAILABLE, not a crash", async () => {
    h = await createHarness();
    const { ToolRegistry } = await import("./registry.ts");
    const { memoryReadTool } = await import("./memory-tools.ts");
    const bare = new ToolRegistry({ audit: h.audit, publisher: h.publisher }).register(memoryReadTool());
    const session = await bare.session({ agentId: "x", workspaceDir: h.workspace });
    expect(errorCode(await session.execute("memory_read", {}))).toBe("TOOL_UNAVAILABLE");
  });
});

describe("port tools honour abort mid-execution (even when the port ignores the signal)", () => {
  const cases: Array<{
    tool: string;
    input: unknown;
    agent?: Partial<AgentIdentity>;
    hold: (harness: Harness) => Hold;
  }> = [
    { tool: "memory_write", input: { content: "x" }, hold: (harness) => harness.memory.control },
    { tool: "memory_read", input: {}, hold: (harness) => harness.memory.control },
    { tool: "memory_search", input: { query: "x" }, hold: (harness) => harness.memory.control },
    { tool: "space_list", input: {}, hold: (harness) => harness.space.control },
    { tool: "space_get", input: { spaceId: "space-a" }, hold: (harness) => harness.space.control },
    {
      tool: "space_activate",
      input: { spaceId: "space-a" },
      agent: operator,
      hold: (harness) => harness.space.control,
    },
    { tool: "kernel_agents", input: {}, agent: operator, hold: (harness) => harness.kernel.control },
    {
      tool: "kernel_agents",
      input: { action: "kill", agentId: "agent-2" },
      agent: admin,
      hold: (harness) => harness.kernel.control,
    },
    { tool: "scheduler_stats", input: {}, agent: operator, hold: (harness) => harness.kernel.control },
    { tool: "audit_verify", input: {}, agent: operator, hold: (harness) => harness.audit.control },
    { tool: "audit_query", input: {}, agent: operator, hold: (harness) => harness.audit.control },
  ];
  for (const testCase of cases) {
    for (const ignoreSignal of [false, true]) {
      const label = `${testCase.tool} ${JSON.stringify(testCase.input)}${ignoreSignal ? " (port deaf to the signal)" : ""}`;
      it(`${label}: settles ABORTED while the port is still held, and the port saw the abort`, async () => {
        h = await createHarness();
        const session = testCase.agent === undefined ? h.session : await h.sessionFor(testCase.agent);
        const hold = testCase.hold(h);
        hold.hold({ ignoreSignal });
        const controller = new AbortController();
        const call = session.execute(testCase.tool, testCase.input, { signal: controller.signal });
        await hold.arrived();
        controller.abort();
        // The port is still held: the call can only settle because the gate answers the abort.
        const result = await call;
        expect(errorCode(result)).toBe("ABORTED");
        expect(h.publisher.types()).toEqual(["tool.started", "tool.failed"]);
        // The tool handed the run's signal to its port, and the port saw it abort.
        expect(hold.signals).toHaveLength(1);
        expect(hold.signals[0]?.aborted).toBe(true);
        hold.release();
        await settle();
        if (ignoreSignal) expect(h.logger.find("debug", "after").length).toBe(1);
      });
    }
  }
});

describe("skill and schedule tools", () => {
  const skills: SkillPort = {
    async list() {
      return [{ name: "changelog", description: "Write a changelog" }];
    },
    async read(agentId, name, file) {
      if (agentId !== "agent-1" || name !== "changelog") return undefined;
      if (file !== undefined && file !== "template.md") return undefined;
      return {
        name,
        description: "Write a changelog",
        text: file === undefined ? "Group commits by type." : "## Added",
        files: ["template.md"],
      };
    },
  };

  it("skill_read loads a skill's instructions or one of its files, and names what is missing", async () => {
    h = await createHarness({ agent: { template: "worker" }, ports: { skills } });
    expect(okOutput(await h.session.execute("skill_read", { name: "changelog" }))).toMatchObject({
      text: "Group commits by type.",
      files: ["template.md"],
    });
    expect(okOutput(await h.session.execute("skill_read", { name: "changelog", file: "template.md" }))).toMatchObject({
      text: "## Added",
    });
    const missing = await h.session.execute("skill_read", { name: "deploy" });
    expect(errorCode(missing)).toBe("TOOL_SKILL_NOT_FOUND");
  });

  it("schedule_* are operator-tier and pass the calling agent to the port", async () => {
    const calls: Array<{ op: string; caller?: string; name?: string }> = [];
    const schedules: SchedulePort = {
      async list() {
        calls.push({ op: "list" });
        return [];
      },
      async put(input, caller) {
        calls.push({ op: "put", caller: caller.agentId, name: input.name });
        return {
          ...input,
          timezone: input.timezone ?? "UTC",
          missed: "skip",
          overlap: "skip",
          enabled: true,
          source: "agent",
        };
      },
      async remove(name, caller) {
        calls.push({ op: "remove", caller: caller.agentId, name });
      },
      async run(name, caller) {
        calls.push({ op: "run", caller: caller.agentId, name });
        return { started: true, taskId: "t1" };
      },
    };
    h = await createHarness({ ports: { schedules } });
    expect(errorCode(await h.session.execute("schedule_list", {}))).toBe("TOOL_DENIED");
    const session = await h.sessionFor(operator);
    okOutput(await session.execute("schedule_list", {}));
    okOutput(await session.execute("schedule_put", { name: "daily", every: "1d", goal: "summarize" }));
    expect(okOutput(await session.execute("schedule_run", { name: "daily" }))).toEqual({ started: true, taskId: "t1" });
    okOutput(await session.execute("schedule_delete", { name: "daily" }));
    expect(calls).toEqual([
      { op: "list" },
      { op: "put", caller: "agent-1", name: "daily" },
      { op: "run", caller: "agent-1", name: "daily" },
      { op: "remove", caller: "agent-1", name: "daily" },
    ]);
  });
});
