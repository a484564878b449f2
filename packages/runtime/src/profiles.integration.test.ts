import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@oxios/core/testing";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { arrivalBarrier } from "./__fixtures__/arrival-barrier.ts";
import { openWorld, type World } from "./__fixtures__/kernel-world.ts";
import type { AgentProfile } from "./agent-profile.ts";
import { resolveModel } from "./providers/resolve-model.ts";
import { loadSkills, SkillToolPort } from "./skills.ts";
import { FakeLlmServer, type FakeRequest, lastUserText } from "./testing/fake-llm-server.ts";

let server: FakeLlmServer | undefined;
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
  await server?.close();
  server = undefined;
});

function systemText(request: FakeRequest): string {
  const system = (request.body.messages ?? []).find((message) => message.role === "system");
  return typeof system?.content === "string" ? system.content : JSON.stringify(system?.content ?? "");
}

function toolResults(request: FakeRequest): string[] {
  return (request.body.messages ?? [])
    .filter((message) => message.role === "tool")
    .map((message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content)));
}

/** A world whose profiles live in a map the test can change (like a configuration reload). */
async function profileWorld(
  profiles: Map<string, AgentProfile>,
  options: Partial<Parameters<typeof openWorld>[0]> = {},
): Promise<World> {
  if (server === undefined) throw new Error("start the fake model first");
  return openWorld({
    model: resolveModel("openai-compatible/default", { baseUrl: server.baseUrl }),
    ...options,
    runtime: { profiles: (name) => profiles.get(name), ...options.runtime },
  });
}

describe("agent profiles", () => {
  it("refuses an unknown profile with AGENT_PROFILE_NOT_FOUND before anything runs", async () => {
    server = await FakeLlmServer.start();
    world = await profileWorld(new Map());
    expect(() => world?.runtime.runGoal({ goal: "x", agent: "ghost" })).toThrowError(
      expect.objectContaining({
        code: "AGENT_PROFILE_NOT_FOUND",
        details: expect.objectContaining({ field: "agent" }),
      }),
    );
    await expect(world.runtime.handle({ text: "hello", agent: "ghost" })).rejects.toMatchObject({
      code: "AGENT_PROFILE_NOT_FOUND",
    });
    expect(server.requestCount).toBe(0);
  });

  it("a fallback model answers when the first returns 500s, and the record and events say which answered", async () => {
    server = await FakeLlmServer.start({
      script: (request) =>
        request.body.model === "primary"
          ? { error: { status: 500, message: "primary is down" } }
          : { text: `answer from ${request.body.model}` },
    });
    const primary = resolveModel("openai-compatible/primary", { baseUrl: server.baseUrl });
    const backup = resolveModel("openai-compatible/backup", { baseUrl: server.baseUrl });
    world = await profileWorld(new Map([["writer", { name: "writer", models: [primary, backup] }]]));
    const record = await world.runtime.runGoal({ goal: "write", agent: "writer" }).result;
    expect(record).toMatchObject({
      status: "completed",
      agent: "writer",
      model: "openai-compatible/backup",
      text: "answer from backup",
    });
    // No retry of the first model: its fallback takes the call at once.
    expect(server.requests.map((request) => request.body.model)).toEqual(["primary", "backup"]);
    expect(world.publisher.ofType("model.failed-over").map((event) => event.payload)).toEqual([
      expect.objectContaining({
        from: "openai-compatible/primary",
        to: "openai-compatible/backup",
        error: expect.objectContaining({ code: "PROVIDER_UNAVAILABLE" }),
      }),
    ]);
  });

  it("once the first model's breaker is open the fallback takes the call without a request to it", async () => {
    server = await FakeLlmServer.start({
      script: (request) => (request.body.model === "primary" ? { error: { status: 503 } } : { text: "from backup" }),
    });
    const primary = resolveModel("openai-compatible/primary", { baseUrl: server.baseUrl });
    const backup = resolveModel("openai-compatible/backup", { baseUrl: server.baseUrl });
    world = await profileWorld(new Map([["writer", { name: "writer", models: [primary, backup] }]]));
    for (let run = 0; run < 7; run++) {
      expect(await world.runtime.runGoal({ goal: `run ${run}`, agent: "writer" }).result).toMatchObject({
        model: "openai-compatible/backup",
      });
    }
    const toPrimary = server.requests.filter((request) => request.body.model === "primary").length;
    expect(toPrimary).toBe(5);
    expect(world.publisher.ofType("model.failed-over").at(-1)?.payload.error.code).toBe("PROVIDER_CIRCUIT_OPEN");
  });

  it("its budget blocks the next call once spent and lets it run when the window resets (ManualClock)", async () => {
    server = await FakeLlmServer.start({
      script: () => ({ text: "ok", usage: { promptTokens: 10, completionTokens: 5 } }),
    });
    const budgetClock = new ManualClock(Date.UTC(2026, 0, 5, 9, 15));
    const profiles = new Map<string, AgentProfile>([
      ["tight", { name: "tight", budget: { calls: 1, window: "hour" } }],
    ]);
    world = await profileWorld(profiles, { budgetClock });
    world.budgets.setWindowBudget("tight", { calls: 1, window: "hour" });
    expect(await world.runtime.runGoal({ goal: "first", agent: "tight" }).result).toMatchObject({
      status: "completed",
    });
    const second = world.runtime.runGoal({ goal: "second", agent: "tight" });
    await vi.waitFor(() => expect(world?.scheduler.queued().map((task) => task.agentId)).toEqual([second.agentId]), {
      timeout: 15_000,
    });
    expect(server.requestCount).toBe(1);
    expect(world.runtime.getRun(second.taskId)?.status).toBe("queued");
    // Still the same hour: nothing moves.
    await budgetClock.advanceAsync(44 * 60_000);
    expect(world.runtime.getRun(second.taskId)?.status).toBe("queued");
    await budgetClock.advanceAsync(60_000);
    expect(await second.result).toMatchObject({ status: "completed" });
    expect(server.requestCount).toBe(2);
  });

  it("never admits more runs of a profile than its max_concurrent, while others run beside them", async () => {
    // The first two capped runs meet at the model and are held there until the test lets go.
    const arrive = arrivalBarrier(2);
    const held: Array<() => void> = [];
    let holding = true;
    let inside = 0;
    let mostInside = 0;
    server = await FakeLlmServer.start({
      script: async (request) => {
        if (!lastUserText(request.body).startsWith("capped")) return { text: "done" };
        inside += 1;
        mostInside = Math.max(mostInside, inside);
        if (holding) {
          await arrive();
          await new Promise<void>((resolve) => held.push(resolve));
        }
        inside -= 1;
        return { text: "done" };
      },
    });
    world = await profileWorld(new Map([["capped", { name: "capped", maxConcurrent: 2 }]]));
    const capped = Array.from({ length: 5 }, (_, index) =>
      world?.runtime.runGoal({ goal: `capped ${index}`, agent: "capped" }),
    );
    await vi.waitFor(() => expect(held).toHaveLength(2), { timeout: 60_000 });
    // A run without the profile is not held back by the profile's cap.
    expect(await world.runtime.runGoal({ goal: "free run" }).result).toMatchObject({ status: "completed" });
    expect(world.scheduler.queued()).toHaveLength(3);
    // Every task carries its profile (a cluster's admission counts by it); the free run none.
    expect(new Set([...world.scheduler.queued(), ...world.scheduler.running()].map((task) => task.profile))).toEqual(
      new Set(["capped"]),
    );
    holding = false;
    for (const release of held.splice(0)) release();
    expect((await Promise.all(capped.map((run) => run?.result))).map((record) => record?.status)).toEqual(
      Array(5).fill("completed"),
    );
    expect(mostInside).toBe(2);
  });

  it("gives its agents its persona, tools, skills and workspace: persistent kept, per-run removed", async () => {
    server = await FakeLlmServer.start({
      script: (request) => {
        const results = toolResults(request);
        const goal = lastUserText(request.body);
        if (goal.startsWith("skill") && results.length === 0) {
          return { toolCalls: [{ name: "skill_read", arguments: { name: "changelog" } }] };
        }
        if (goal.startsWith("write") && results.length === 0) {
          return { toolCalls: [{ name: "write", arguments: { path: "notes.md", content: goal } }] };
        }
        return { text: `done: ${results.join(" | ")}` };
      },
    });
    const dirs = mkdtempSync(join(tmpdir(), "oxios-skills-"));
    onTestFinished(() => rmSync(dirs, { recursive: true, force: true }));
    mkdirSync(join(dirs, "changelog"));
    writeFileSync(
      join(dirs, "changelog", "SKILL.md"),
      "---\nname: changelog\ndescription: Turn git log into release notes\n---\nGroup commits by type.\n",
    );
    const skills = await loadSkills([dirs]);
    const profiles = new Map<string, AgentProfile>([
      [
        "notes",
        {
          name: "notes",
          systemPrompt: "You are the release-notes writer.",
          workspace: "persistent",
          skills,
          identity: { permissions: { tools: { deny: ["memory_*"] } } },
        },
      ],
      ["scratch", { name: "scratch" }],
    ]);
    let runtimeRef: World["runtime"] | undefined;
    world = await profileWorld(profiles, {
      ports: { skills: new SkillToolPort((agentId) => runtimeRef?.skillsOf(agentId) ?? []) },
    });
    runtimeRef = world.runtime;
    const read = await world.runtime.runGoal({ goal: "skill please", agent: "notes" }).result;
    expect(read.text).toContain("Group commits by type.");
    const first = server.requests.find((request) => lastUserText(request.body) === "skill please");
    expect(systemText(first as FakeRequest)).toContain("You are the release-notes writer.");
    expect(systemText(first as FakeRequest)).toContain("- changelog: Turn git log into release notes");
    const offered = (first?.body.tools ?? []).map((tool) => tool.function.name);
    expect(offered).toContain("skill_read");
    expect(offered.some((name) => name.startsWith("memory_"))).toBe(false);

    expect(await world.runtime.runGoal({ goal: "write kept", agent: "notes" }).result).toMatchObject({
      status: "completed",
    });
    expect(readFileSync(join(world.dir, "agents", "profiles", "notes", "notes.md"), "utf8")).toBe("write kept");
    const scratch = world.runtime.runGoal({ goal: "write gone", agent: "scratch" });
    expect(await scratch.result).toMatchObject({ status: "completed", text: expect.stringContaining("notes.md") });
    expect(existsSync(join(world.dir, "agents", scratch.agentId))).toBe(false);
  });

  it("a run keeps the profile it started with when the profile changes under it", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    server = await FakeLlmServer.start({
      script: async (request) => {
        if (lastUserText(request.body) === "slow") await held;
        return { text: systemText(request).split("\n")[0] ?? "" };
      },
    });
    const profiles = new Map<string, AgentProfile>([["p", { name: "p", systemPrompt: "persona one" }]]);
    world = await profileWorld(profiles);
    const slow = world.runtime.runGoal({ goal: "slow", agent: "p" });
    await server.waitForRequests(1);
    profiles.set("p", { name: "p", systemPrompt: "persona two" });
    const fresh = await world.runtime.runGoal({ goal: "fresh", agent: "p" }).result;
    release();
    expect((await slow.result).text).toBe("persona one");
    expect(fresh.text).toBe("persona two");
  });

  it("a run resumed after the kernel stopped keeps its profile's model, and its per-run workspace until it concludes", async () => {
    let hang = true;
    // The first attempt writes a file (so its workspace exists), then hangs until the kernel stops.
    server = await FakeLlmServer.start({
      script: (request) =>
        toolResults(request).length === 0
          ? { toolCalls: [{ name: "write", arguments: { path: "draft.txt", content: "x" } }] }
          : hang
            ? { hang: true }
            : { text: `answered by ${request.body.model}` },
    });
    const scribe = resolveModel("openai-compatible/scribe-model", { baseUrl: server.baseUrl });
    const profiles = new Map<string, AgentProfile>([["scribe", { name: "scribe", models: [scribe] }]]);
    const dir = mkdtempSync(join(tmpdir(), "oxios-profile-resume-"));
    world = await profileWorld(profiles, { durable: true, dir });
    const handle = world.runtime.runGoal({ goal: "write it down", agent: "scribe" });
    await handle.accepted;
    await vi.waitFor(() => expect(server?.requestCount).toBe(2), { timeout: 60_000 });
    await vi.waitFor(() => expect(server?.inFlight).toBe(1), { timeout: 60_000 });
    const drained = await world.scheduler.drain({ timeoutMs: 0 });
    expect(drained.aborted).toEqual([handle.taskId]);
    expect((await handle.result).status).toBe("running");
    // Stopped with the kernel, not concluded: the workspace waits for the resumed run.
    expect(existsSync(join(dir, "agents", handle.agentId, "draft.txt"))).toBe(true);
    await world.close({ keepDir: true });

    hang = false;
    const resumed = await profileWorld(profiles, { durable: true, dir });
    world = resumed;
    const report = await resumed.scheduler.recover((_task, _signal, lease) => resumed.runtime.runs.resume(lease), {
      takeOverRunning: true,
    });
    expect(report.retried).toEqual([handle.taskId]);
    await Promise.all(report.requeued.map((task) => task.settled));
    await resumed.runtime.runs.settled();
    expect(await resumed.runtime.runs.load(handle.taskId)).toMatchObject({
      status: "completed",
      resumes: 1,
      agent: "scribe",
      model: "openai-compatible/scribe-model",
      text: "answered by scribe-model",
    });
    expect(server.requests.map((request) => request.body.model)).toEqual([
      "scribe-model",
      "scribe-model",
      "scribe-model",
    ]);
    expect(existsSync(join(dir, "agents", handle.agentId))).toBe(false);
  });
});
