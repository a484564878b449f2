// The operator's control plane end to end: a real kernel process (bubblewrap sandbox, oxios.db,
// the scripted model), driven over HTTP and through the real `oxios` command. Agent profiles
// (allowlist, workspace), approvals (approve, reject, 409, who decided), schedules (CRUD, run
// now, 422 naming the cron field), sessions (list, read, delete), `oxios chat` streaming, the
// audit export, git tag/verify/restore, readiness and a SIGHUP reload that keeps a run going.

import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { FakeLlmServer, type FakeRequest, type FakeToolCall, lastUserText } from "@oxios/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, eventually, type KernelProcess, startKernel, tempHome } from "./__fixtures__/kernel-process.ts";

interface Run {
  taskId: string;
  agentId: string;
  status: string;
  agent?: string;
  text?: string;
}

interface Approval {
  approvalId: string;
  tool: string;
  status: string;
  runId?: string;
  profile?: string;
  input?: unknown;
  decidedBy?: string;
}

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const execFileAsync = promisify(execFile);

const CONFIG = `
approval_timeout_ms = 600000

[agents.git-reader]
description = "May run git, nothing else"
exec_allow = ["git"]
workspace = "persistent"

[agents.careful]
approval_required = ["write"]
workspace = "persistent"

[schedules.nightly]
cron = "0 2 * * *"
goal = "PLAN nothing"
`;

function toolResults(request: FakeRequest): string[] {
  return (request.body.messages ?? [])
    .filter((message) => message.role === "tool")
    .map((message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content)));
}

/** Holds the model's answer to "HELD …" goals until the test opens it. */
const gate = {
  closed: false,
  waiters: [] as Array<() => void>,
  pass(): Promise<void> {
    return this.closed ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  },
  open(): void {
    this.closed = false;
    for (const release of this.waiters.splice(0)) release();
  },
};

const INTERVIEW = {
  complexity: "simple",
  questions: [],
  clarity: { goal: 1, constraints: 1, criteria: 1 },
  constraints: [],
};

/** The scripted model: interview answers, `PLAN <name>` tool plans one call per turn, `HELD …` held. */
function responder(plans: Map<string, FakeToolCall[]>) {
  return async (request: FakeRequest) => {
    const format = JSON.stringify(request.body.response_format ?? "");
    if (format.includes("isTask")) {
      const task = JSON.stringify(request.body.messages ?? []).includes("TASK ");
      return task
        ? {
            json: {
              ...INTERVIEW,
              isTask: true,
              chatResponse: "",
              goal: "give an answer",
              acceptanceCriteria: ['the answer contains "answer"'],
            },
          }
        : {
            json: {
              ...INTERVIEW,
              isTask: false,
              chatResponse: "Hello from the fake model",
              goal: "",
              acceptanceCriteria: [],
            },
          };
    }
    const goal = lastUserText(request.body);
    if (goal.startsWith("HELD")) await gate.pass();
    const plan = plans.get(goal.startsWith("PLAN ") ? goal.slice(5).trim() : "");
    if (plan === undefined) return { text: `answer to: ${goal}` };
    const next = plan[toolResults(request).length];
    return next === undefined ? { text: `done: ${toolResults(request).join(" | ")}` } : { toolCalls: [next] };
  };
}

describe("the operator's control plane, end to end", () => {
  const home = tempHome();
  const plans = new Map<string, FakeToolCall[]>();
  let fake: FakeLlmServer;
  let kernel: KernelProcess;
  let env: Record<string, string>;

  /** Runs `oxios …args` against the kernel; `input` goes to its stdin. */
  function cli(args: string[], input = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, OXIOS_HOME: home },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.end(input);
    return new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function waitRun(taskId: string): Promise<Run> {
    return eventually(async () => {
      const run = await kernel.json<Run>("GET", `/api/runs/${taskId}`);
      return TERMINAL.has(run.status) ? run : undefined;
    });
  }

  /** What the model saw of a plan's tool results, from its last request. */
  function seenBy(goal: string): string {
    const last = fake.requests.filter((request) => lastUserText(request.body) === goal).at(-1);
    return last === undefined ? "" : toolResults(last).join("\n");
  }

  async function pendingApproval(): Promise<Approval> {
    return eventually(async () => {
      const { approvals } = await kernel.json<{ approvals: Approval[] }>("GET", "/api/approvals");
      return approvals[0];
    });
  }

  beforeAll(async () => {
    fake = await FakeLlmServer.start({ script: responder(plans) });
    writeFileSync(join(home, "config.toml"), CONFIG, { mode: 0o600 });
    env = {
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
      OXIOS_LLM_API_KEY: "sk-control-plane-llm-key",
    };
    kernel = await startKernel(home, env);
  });

  afterAll(async () => {
    gate.open();
    if (kernel.child.exitCode === null) kernel.child.kill("SIGKILL");
    await fake.close();
  });

  it("is ready, lists its profiles, and refuses an unknown profile with 404 AGENT_PROFILE_NOT_FOUND", async () => {
    const ready = await fetch(`${kernel.url}/health/ready`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: "ready" } });
    const { profiles } = await kernel.json<{ profiles: Array<{ name: string; execAllow: string[] | null }> }>(
      "GET",
      "/api/agents/profiles",
    );
    expect(profiles.map((profile) => [profile.name, profile.execAllow])).toEqual([
      ["git-reader", ["git"]],
      ["careful", null],
    ]);
    const unknown = await kernel.request("POST", "/api/runs", { goal: "x", agent: "ghost" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "AGENT_PROFILE_NOT_FOUND", field: "agent" } });
    expect((await cli(["agent", "profiles"])).stdout).toContain(
      "git-reader  openai-compatible/fake  user/standard  exec=git",
    );
  });

  it("a profile's allowlist lets git status run inside the bubblewrap sandbox and denies curl", async () => {
    const status = await kernel.json<{ sandbox: { kind: string; available: boolean } }>("GET", "/api/status");
    expect(status.sandbox).toEqual({ kind: "bubblewrap", available: true });
    plans.set("git", [
      { name: "exec", arguments: { binary: "git", args: ["init", "-q"] } },
      { name: "exec", arguments: { binary: "git", args: ["status", "--short", "--branch"] } },
      { name: "exec", arguments: { binary: "curl", args: ["https://example.com"] } },
    ]);
    const started = await kernel.json<Run>("POST", "/api/runs", { goal: "PLAN git", agent: "git-reader" });
    const run = await waitRun(started.taskId);
    expect(run).toMatchObject({ status: "completed", agent: "git-reader" });
    const [init, gitStatus, curl] = toolResults(
      fake.requests.filter((request) => lastUserText(request.body) === "PLAN git").at(-1) as FakeRequest,
    );
    expect(JSON.parse(init as string)).toMatchObject({ exitCode: 0 });
    expect(JSON.parse(gitStatus as string)).toMatchObject({ exitCode: 0, stdout: expect.stringContaining("## ") });
    expect(curl).toContain("TOOL_EXEC_DENIED");
    expect(curl).toContain("curl is not on the exec allowlist");
    // The persistent workspace holds the repository the agent made.
    expect(existsSync(join(home, "agents", "profiles", "git-reader", ".git"))).toBe(true);
  });

  it("an approval holds the run until approved (through the CLI), then the tool runs; deciding again is 409", async () => {
    plans.set("write", [{ name: "write", arguments: { path: "approved.txt", content: "written after approval" } }]);
    const started = await kernel.json<Run>("POST", "/api/runs", { goal: "PLAN write", agent: "careful" });
    const pending = await pendingApproval();
    expect(pending).toMatchObject({
      tool: "write",
      status: "pending",
      runId: started.taskId,
      profile: "careful",
      input: { path: "approved.txt", content: "written after approval" },
    });
    expect((await kernel.json<Run>("GET", `/api/runs/${started.taskId}`)).status).toBe("running");
    expect(existsSync(join(home, "agents", "profiles", "careful", "approved.txt"))).toBe(false);
    expect((await cli(["approvals"])).stdout).toContain(pending.approvalId);
    const approved = await cli(["approvals", "approve", pending.approvalId, "--by", "alice", "--reason", "fine"]);
    expect(approved).toMatchObject({ code: 0, stdout: `${pending.approvalId} approved by operator:alice\n` });
    expect(await waitRun(started.taskId)).toMatchObject({ status: "completed" });
    expect(readFileSync(join(home, "agents", "profiles", "careful", "approved.txt"), "utf8")).toBe(
      "written after approval",
    );
    const again = await kernel.request("POST", `/api/approvals/${pending.approvalId}/reject`, { reason: "too late" });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "TOOL_APPROVAL_ALREADY_DECIDED" } });
    expect((await kernel.request("POST", "/api/approvals/no-such-approval/approve")).status).toBe(404);
    const { entries } = await kernel.json<{ entries: Array<{ actor: string; resource: string }> }>(
      "GET",
      "/api/audit?action=approval.resolved",
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ actor: "operator:alice", resource: `approval:${pending.approvalId}` }),
    );
  });

  it("a rejection reaches the model with who rejected it and why; the tool never runs", async () => {
    plans.set("reject", [{ name: "write", arguments: { path: "rejected.txt", content: "never" } }]);
    const started = await kernel.json<Run>("POST", "/api/runs", { goal: "PLAN reject", agent: "careful" });
    const pending = await pendingApproval();
    const rejected = await kernel.json<Approval>("POST", `/api/approvals/${pending.approvalId}/reject`, {
      reason: "not on Fridays",
      by: "bob",
    });
    expect(rejected).toMatchObject({ status: "rejected", decidedBy: "operator:bob" });
    expect(await waitRun(started.taskId)).toMatchObject({ status: "completed" });
    expect(seenBy("PLAN reject")).toContain("approval rejected by operator:bob: not on Fridays");
    expect(existsSync(join(home, "agents", "profiles", "careful", "rejected.txt"))).toBe(false);
    const all = await kernel.json<{ approvals: Approval[] }>("GET", "/api/approvals?status=all");
    expect(all.approvals.map((approval) => approval.status)).toEqual(["rejected", "approved"]);
  });

  it("schedules: CRUD over HTTP and the CLI, 422 naming the cron field, run now, config schedules read-only", async () => {
    const bad = await kernel.request("POST", "/api/schedules", { name: "bad", cron: "61 9 * * *", goal: "x" });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error: { code: "SCHEDULER_SCHEDULE_INVALID", field: "cron" } });
    const ghost = await kernel.request("POST", "/api/schedules", { name: "g", every: "1h", goal: "x", agent: "ghost" });
    expect(ghost.status).toBe(404);
    const created = await kernel.json<{ name: string; nextFireAt: number; source: string }>("POST", "/api/schedules", {
      name: "hourly",
      every: "1h",
      goal: "PLAN nothing",
      agent: "git-reader",
    });
    expect(created).toMatchObject({ name: "hourly", source: "api", nextFireAt: expect.any(Number) });
    expect((await kernel.request("POST", "/api/schedules", { name: "hourly", every: "2h", goal: "x" })).status).toBe(
      409,
    );
    const ran = await kernel.json<{ started: boolean; taskId: string }>("POST", "/api/schedules/hourly/run");
    expect(ran.started).toBe(true);
    expect(await waitRun(ran.taskId)).toMatchObject({ status: "completed", agent: "git-reader" });
    expect(await kernel.json("GET", "/api/schedules/hourly")).toMatchObject({ lastTaskId: ran.taskId, fired: 1 });
    const readOnly = await kernel.request("DELETE", "/api/schedules/nightly");
    expect(readOnly.status).toBe(409);
    expect(await readOnly.json()).toMatchObject({ error: { code: "SCHEDULER_SCHEDULE_READ_ONLY" } });

    const added = await cli([
      "schedule",
      "add",
      "daily",
      "--cron",
      "0 7 * * *",
      "--tz",
      "Europe/Berlin",
      "--goal",
      "PLAN nothing",
    ]);
    expect(added).toMatchObject({ code: 0, stdout: expect.stringContaining("daily  0 7 * * * Europe/Berlin") });
    const invalid = await cli(["schedule", "add", "broken", "--cron", "99 * * * *", "--goal", "x"]);
    expect(invalid).toMatchObject({ code: 1, stderr: expect.stringContaining("Invalid value for minute: 99") });
    const listed = (await cli(["schedule"])).stdout;
    expect(listed).toContain("nightly  0 2 * * * UTC");
    expect(listed).toContain("hourly  every 1h as git-reader");
    const runNow = await cli(["schedule", "run", "daily"]);
    expect(runNow.stdout).toMatch(/^daily started run \S+/);
    await waitRun(runNow.stdout.trim().split(" ").at(-1) as string);
    expect(await cli(["schedule", "rm", "daily"])).toMatchObject({ code: 0, stdout: "daily deleted\n" });
    expect((await kernel.request("GET", "/api/schedules/daily")).status).toBe(404);
    const { entries } = await kernel.json<{
      entries: Array<{ details: { payload: { scheduleId: string; trigger?: string } } }>;
    }>("GET", "/api/audit?action=schedule.fired");
    // The kernel runs on the wall clock, so the config's nightly schedule may fire during the test.
    const fired = entries
      .map((entry) => `${entry.details.payload.scheduleId}:${entry.details.payload.trigger}`)
      .filter((line) => !line.startsWith("nightly:"));
    expect(fired).toEqual(["hourly:manual", "daily:manual"]);
  });

  it("sessions: list, read and delete over HTTP and the CLI", async () => {
    const first = await kernel.json<{ sessionId: string; response: string }>("POST", "/api/chat", { message: "hello" });
    expect(first.response).toBe("Hello from the fake model");
    await kernel.json("POST", "/api/chat", { message: "hello again", sessionId: first.sessionId });
    const { sessions } = await kernel.json<{ sessions: Array<{ id: string; turns: number }> }>("GET", "/api/sessions");
    expect(sessions).toContainEqual(expect.objectContaining({ id: first.sessionId, turns: 4 }));
    const session = await kernel.json<{ turns: Array<{ role: string; content: string }> }>(
      "GET",
      `/api/sessions/${first.sessionId}`,
    );
    expect(session.turns.map((turn) => `${turn.role}: ${turn.content}`)).toEqual([
      "user: hello",
      "assistant: Hello from the fake model",
      "user: hello again",
      "assistant: Hello from the fake model",
    ]);
    expect((await cli(["sessions"])).stdout).toContain(`${first.sessionId}  `);
    expect((await cli(["sessions", "show", first.sessionId])).stdout).toContain("user: hello again");
    expect(await cli(["sessions", "rm", first.sessionId])).toMatchObject({
      code: 0,
      stdout: `${first.sessionId} deleted\n`,
    });
    const gone = await kernel.request("GET", `/api/sessions/${first.sessionId}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: "SESSION_NOT_FOUND" } });
  });

  it("oxios chat streams each answer and keeps its session; dot-commands switch the agent and reset", async () => {
    const chat = await cli(["chat"], ".agent git-reader\nhello there\n.session\n.agent ghost\nhi\n.reset\n.session\n");
    expect(chat, JSON.stringify(chat)).toMatchObject({ code: 1 });
    const lines = chat.stdout.split("\n");
    expect(lines).toContain("agent: git-reader");
    expect(lines).toContain("Hello from the fake model");
    const session = lines.find((line) => line.startsWith("session: ") && line !== "session: (new)");
    expect(session).toMatch(/^session: [0-9a-f-]{36}$/);
    expect(lines).toContain("agent: ghost");
    expect(chat.stdout).toContain("error: AGENT_PROFILE_NOT_FOUND");
    expect(lines.at(-2)).toBe("session: (new)");
    const sessionId = (session as string).slice("session: ".length);
    expect((await kernel.json<{ turns: unknown[] }>("GET", `/api/sessions/${sessionId}`)).turns).toHaveLength(2);
  });

  it("exports the audit trail as JSON lines and tags, verifies and restores the state repository", async () => {
    const task = await kernel.json<{ seedId: string }>("POST", "/api/chat", { message: "TASK give an answer" });
    const seed = `seeds/${task.seedId}.json`;
    expect(await kernel.json("POST", "/api/git/tags", { name: "v1" })).toEqual({ name: "v1", commit: "HEAD" });
    expect((await kernel.request("POST", "/api/git/tags", { name: "v1" })).status).toBe(409);
    expect(await kernel.json("GET", "/api/git/tags")).toEqual({ tags: ["v1"] });
    expect(await kernel.json("GET", "/api/git/verify")).toMatchObject({ ok: true, problems: [] });
    expect(await kernel.json("POST", "/api/git/restore", { path: seed, commit: "v1" })).toMatchObject({
      path: seed,
      commit: "v1",
    });
    const missing = await kernel.request("POST", "/api/git/restore", { path: "seeds/none.json", commit: "v1" });
    expect(missing.status).toBe(404);
    expect((await cli(["git", "verify"])).stdout).toMatch(/^state repository ok/);

    const exported = await kernel.request("GET", "/api/audit/export");
    expect(exported.headers.get("content-type")).toContain("application/x-ndjson");
    const entries = (await exported.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { seq: number; action: string });
    expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_, index) => index + 1));
    expect(entries.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(["approval.resolved", "schedule.fired"]),
    );
    const cliExport = await cli(["audit", "export", "--from", "2"]);
    expect(JSON.parse(cliExport.stdout.split("\n")[0] as string)).toMatchObject({ seq: 2 });
  });

  it("SIGHUP applies new profiles and schedules, refuses a bad file whole, and a running run goes on", async () => {
    gate.closed = true;
    const held = await kernel.json<Run>("POST", "/api/runs", { goal: "HELD across the reload", agent: "git-reader" });
    await eventually(() => (gate.waiters.length === 1 ? true : undefined));
    writeFileSync(join(home, "config.toml"), `${CONFIG}\n[agents.late]\ntemplate = "wizard"\n`);
    kernel.child.kill("SIGHUP");
    await eventually(() => (kernel.output().includes("configuration reload failed") ? true : undefined));
    writeFileSync(
      join(home, "config.toml"),
      `${CONFIG}\n[agents.late]\nexec_allow = ["ls"]\n\n[schedules.later]\nevery = "1d"\ngoal = "x"\nagent = "late"\n`,
    );
    kernel.child.kill("SIGHUP");
    const { profiles } = await eventually(async () => {
      const answer = await kernel.json<{ profiles: Array<{ name: string }> }>("GET", "/api/agents/profiles");
      return answer.profiles.some((profile) => profile.name === "late") ? answer : undefined;
    });
    expect(profiles.map((profile) => profile.name)).toEqual(["git-reader", "careful", "late"]);
    const { schedules } = await kernel.json<{ schedules: Array<{ name: string; source: string }> }>(
      "GET",
      "/api/schedules",
    );
    expect(schedules.map((schedule) => `${schedule.name}:${schedule.source}`)).toEqual([
      "hourly:api",
      "later:config",
      "nightly:config",
    ]);
    expect((await kernel.json<Run>("GET", `/api/runs/${held.taskId}`)).status).toBe("running");
    gate.open();
    expect(await waitRun(held.taskId)).toMatchObject({
      status: "completed",
      text: "answer to: HELD across the reload",
    });
    expect(
      (await execFileAsync(process.execPath, [BIN, "status"], { env: { ...process.env, OXIOS_HOME: home } })).stdout,
    ).toContain("oxios is running");
  });

  it("a pending approval survives a SIGKILL: the resumed run waits on the same approval, and approving it runs the tool", async () => {
    plans.set("crash", [
      { name: "write", arguments: { path: "after-crash.txt", content: "approved across a restart" } },
    ]);
    const started = await kernel.json<Run>("POST", "/api/runs", { goal: "PLAN crash", agent: "careful" });
    const pending = await pendingApproval();
    expect(pending).toMatchObject({ runId: started.taskId, status: "pending", tool: "write" });
    kernel.child.kill("SIGKILL");
    await kernel.exited;

    kernel = await startKernel(home, env);
    const { approvals } = await kernel.json<{ approvals: Approval[] }>("GET", "/api/approvals");
    expect(approvals).toEqual([
      expect.objectContaining({ approvalId: pending.approvalId, status: "pending", runId: started.taskId }),
    ]);
    expect(existsSync(join(home, "agents", "profiles", "careful", "after-crash.txt"))).toBe(false);
    const approved = await cli(["approvals", "approve", pending.approvalId, "--by", "carol"]);
    expect(approved).toMatchObject({ code: 0, stdout: `${pending.approvalId} approved by operator:carol\n` });
    expect(await waitRun(started.taskId)).toMatchObject({ status: "completed", resumes: 1 });
    expect(readFileSync(join(home, "agents", "profiles", "careful", "after-crash.txt"), "utf8")).toBe(
      "approved across a restart",
    );
    expect(seenBy("PLAN crash")).not.toContain("TOOL_OUTCOME_UNKNOWN");
    const all = await kernel.json<{ approvals: Approval[] }>("GET", "/api/approvals?status=all");
    expect(all.approvals.filter((approval) => approval.runId === started.taskId)).toEqual([
      expect.objectContaining({ approvalId: pending.approvalId, status: "approved", decidedBy: "operator:carol" }),
    ]);
  });
});
