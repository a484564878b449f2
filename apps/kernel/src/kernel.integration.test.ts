import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { FakeLlmServer, type FakeRequest, lastUserText } from "@oxios/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BIN,
  eventually,
  type KernelProcess,
  spawnKernel,
  startKernel,
  tempHome,
} from "./__fixtures__/kernel-process.ts";

interface Run {
  taskId: string;
  agentId: string;
  status: string;
  text?: string;
  error?: { code: string; message: string };
}

const execFileAsync = promisify(execFile);
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

function hasToolResult(request: FakeRequest): boolean {
  return (request.body.messages ?? []).some((message) => message.role === "tool");
}

/** Holds the fake model's answers to "HELD …" messages while closed: a test decides when the model answers. */
const gate = {
  closed: false,
  waiters: [] as Array<() => void>,
  close(): void {
    this.closed = true;
  },
  open(): void {
    this.closed = false;
    for (const release of this.waiters.splice(0)) release();
  },
  pass(): Promise<void> {
    return this.closed ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  },
};

/** The fake model: "HELD …" waits at the gate, "EXEC <marker>" runs a tail that never ends, "HANG" hangs. */
async function responder(request: FakeRequest) {
  const text = lastUserText(request.body) ?? "";
  const format = JSON.stringify(request.body.response_format ?? "");
  if (format.includes("isTask")) {
    const conversation = JSON.stringify(request.body.messages ?? []);
    // A chat whose first model call (the interview) never answers: only an abort ends it.
    if (conversation.includes("HANG ")) return { hang: true as const };
    return conversation.includes("TASK ")
      ? {
          json: {
            isTask: true,
            chatResponse: "",
            complexity: "simple",
            questions: [],
            clarity: { goal: 1, constraints: 1, criteria: 1 },
            goal: conversation.includes("NOPE") ? "NOPE give nothing" : "give an answer",
            constraints: [],
            acceptanceCriteria: ['the answer contains "answer"'],
          },
        }
      : {
          json: {
            isTask: false,
            chatResponse: "Hello from the fake model",
            complexity: "simple",
            questions: [],
            clarity: { goal: 1, constraints: 1, criteria: 1 },
            goal: "",
            constraints: [],
            acceptanceCriteria: [],
          },
        };
  }
  if (hasToolResult(request)) return { text: "tool finished" };
  // A task whose answer never meets its criterion ('the answer contains "answer"').
  if (text.includes("NOPE")) return { text: "nothing useful" };
  if (text.startsWith("EXEC ")) {
    const marker = text.slice(5).trim();
    return { toolCalls: [{ name: "exec", arguments: { binary: "tail", args: ["-f", "-s", marker, "/dev/null"] } }] };
  }
  if (text.startsWith("HANG")) return { hang: true as const };
  if (text.startsWith("HELD")) await gate.pass();
  return { text: `answer to: ${text}` };
}

function processWithMarker(marker: string): boolean {
  const list = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
  return list.split("\n").some((line) => line.startsWith("tail") && line.includes(marker));
}

async function waitRun(kernel: KernelProcess, taskId: string): Promise<Run> {
  return eventually(async () => {
    const run = await kernel.json<Run>("GET", `/api/runs/${taskId}`);
    return TERMINAL.has(run.status) ? run : undefined;
  });
}

describe("the kernel, end to end", () => {
  let fake: FakeLlmServer;
  let kernel: KernelProcess;
  const home = tempHome();
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await FakeLlmServer.start({ script: responder });
    env = {
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
      OXIOS_LLM_API_KEY: "sk-llm-key-never-a-token",
      OXIOS_MAX_CONCURRENT: "3",
    };
    kernel = await startKernel(home, env);
  });

  afterAll(async () => {
    if (kernel.child.exitCode === null) kernel.child.kill("SIGKILL");
    await fake.close();
  });

  it("answers health without a token and refuses the API without one", async () => {
    const health = await fetch(`${kernel.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", version: "0.1.0" });
    const missing = await fetch(`${kernel.url}/api/status`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    const wrong = await kernel.request("GET", "/api/status", undefined, { authorization: "Bearer wrong-token-123456" });
    expect(wrong.status).toBe(401);
    const llmKey = await kernel.request("GET", "/metrics", undefined, {
      authorization: `Bearer ${env.OXIOS_LLM_API_KEY}`,
    });
    expect(llmKey.status).toBe(401);
    const status = await kernel.json<{ model: { demo: boolean; provider: string }; modules: Record<string, string> }>(
      "GET",
      "/api/status",
    );
    expect(status.model).toMatchObject({ demo: false, provider: "openai-compatible" });
    // One word for a module that works, whichever module it is.
    for (const name of ["state", "git", "bus", "audit", "memory", "spaces", "scheduler", "tools", "runtime", "a2a"])
      expect(status.modules[name], name).toBe("ready");
  });

  it("maps bad input to 400, 422, 413 and 404 without harm", async () => {
    const malformed = await kernel.request("POST", "/api/runs", "{not json");
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: "JSON_MALFORMED" } });
    const wrongType = await kernel.request("POST", "/api/memory", { content: 42 });
    expect(wrongType.status).toBe(422);
    expect(await wrongType.json()).toMatchObject({ error: { field: "content" } });
    const huge = await kernel.request("POST", "/api/memory", { content: "x".repeat(11 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: "BODY_TOO_LARGE" } });
    const unknown = await kernel.request("GET", "/api/nothing-here");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect((await fetch(`${kernel.url}/health`)).status).toBe(200);
  });

  it("runs direct goals with never more than OXIOS_MAX_CONCURRENT model calls at once", async () => {
    gate.close();
    const started = await Promise.all(
      Array.from({ length: 8 }, (_, index) => kernel.json<Run>("POST", "/api/runs", { goal: `HELD goal ${index}` })),
    );
    const ids = new Set(started.map((run) => run.taskId));
    // Wait until every run is either at the model (held at the gate) or queued in the kernel.
    const queued = await eventually(async () => {
      const { runs } = await kernel.json<{ runs: Run[] }>("GET", "/api/runs");
      const count = runs.filter((run) => ids.has(run.taskId) && run.status === "queued").length;
      return count + gate.waiters.length === 8 ? count : undefined;
    });
    expect({ atTheModel: gate.waiters.length, queued }).toEqual({ atTheModel: 3, queued: 5 });
    gate.open();
    const runs = await Promise.all(started.map((run) => waitRun(kernel, run.taskId)));
    expect(runs.map((run) => run.status)).toEqual(Array(8).fill("completed"));
    expect(runs[0]?.text).toContain("answer to: HELD goal 0");
    expect(fake.maxInFlight).toBe(3);
  });

  it("long-polls a run with waitMs: one GET answers once the run has finished", async () => {
    gate.close();
    const { taskId } = await kernel.json<Run>("POST", "/api/runs", { goal: "HELD long poll" });
    const first = await kernel.json<Run>("GET", `/api/runs/${taskId}`);
    expect(["queued", "running"]).toContain(first.status);
    const longPoll = kernel.json<Run>("GET", `/api/runs/${taskId}?waitMs=20000`);
    gate.open();
    expect((await longPoll).status).toBe("completed");
    expect((await kernel.request("GET", `/api/runs/${taskId}?waitMs=600000`)).status).toBe(422);
  });

  it("streams a run's events in order over SSE", async () => {
    const controller = new AbortController();
    const response = await kernel.request(
      "GET",
      "/api/events?types=agent.created,agent.started,agent.completed",
      undefined,
      {
        accept: "text/event-stream",
      },
    );
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const run = await kernel.json<Run>("POST", "/api/runs", { goal: "stream me" });
    const decoder = new TextDecoder();
    let text = "";
    const seen: string[] = [];
    while (!seen.includes("agent.completed")) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
      seen.length = 0;
      for (const match of text.matchAll(/^data: (.*)$/gm)) {
        const event = JSON.parse(match[1] as string) as { type: string; payload: { agentId: string } };
        if (event.payload.agentId === run.agentId) seen.push(event.type);
      }
    }
    controller.abort();
    await reader.cancel();
    expect(seen).toEqual(["agent.created", "agent.started", "agent.completed"]);
  });

  it("chats through the orchestrator, plain and streamed", async () => {
    const chat = await kernel.json<{ kind: string; response: string; sessionId: string; exitCode: number }>(
      "POST",
      "/api/chat",
      { message: "hello there" },
    );
    expect(chat).toMatchObject({ kind: "chat", response: "Hello from the fake model", exitCode: 0 });
    const task = await kernel.json<{ kind: string; evaluationPassed: boolean; exitCode: number }>("POST", "/api/chat", {
      message: "TASK give an answer",
      sessionId: chat.sessionId,
    });
    expect(task).toMatchObject({ kind: "task", evaluationPassed: true, exitCode: 0 });
    const response = await kernel.request("POST", "/api/chat/stream", { message: "TASK stream an answer" });
    const body = await response.text();
    const events = [...body.matchAll(/^event: (.*)$/gm)].map((match) => match[1]);
    expect(events).toContain("phase");
    expect(events.at(-1)).toBe("result");
    expect(body).toContain('"kind":"task"');
  });

  it("serves the CLI commands against the running daemon", async () => {
    // Asynchronous: the fake model answers from this process, so it must not be blocked.
    const cli = async (...args: string[]) =>
      (await execFileAsync(process.execPath, [BIN, ...args], { env: { ...process.env, OXIOS_HOME: home } })).stdout;
    const status = await cli("status");
    expect(status).toMatch(new RegExp(`pid:\\s+${kernel.child.pid}[\\s\\S]*token:\\s+`));
    expect(status).not.toContain(kernel.token);
    const health = (await (await fetch(`${kernel.url}/health`)).json()) as { version: string };
    expect((await cli("--version")).trim()).toBe(health.version);
    const added = await cli("memory", "add", "Ana prefers tea over coffee", "--type", "preference");
    expect(added).toMatch(/preference/);
    expect(await cli("memory", "search", "what does Ana drink")).toContain("Ana prefers tea over coffee");
    expect(await cli("memory", "list")).toContain("Ana prefers tea over coffee");
    expect(await cli("space", "create", "Garden")).toContain("Garden");
    expect(await cli("space", "list")).toMatch(/Default[\s\S]*Garden/);
    expect(await cli("audit", "verify")).toMatch(/audit chain ok \(\d+ entries\)/);
    expect((await cli("audit", "tail", "--limit", "3")).trim().split("\n")).toHaveLength(3);
    expect(await cli("agent", "list")).toMatch(/completed|idle|stopped/);
    expect(await cli("git", "log")).toMatch(/[0-9a-f]{10}/);
    // The running kernel's value (OXIOS_MAX_CONCURRENT=3 in its environment), not this shell's default.
    expect((await cli("config", "get", "max_concurrent")).trim()).toBe("3");
    expect((await cli("config", "get", "llm_api_key")).trim()).toBe("(set, from OXIOS_LLM_API_KEY)");
    expect(await cli("config", "get")).not.toContain(env.OXIOS_LLM_API_KEY);
    expect((await cli("config", "path")).trim()).toBe(join(home, "config.toml"));
    const json = JSON.parse(await cli("run", "hello from the cli", "--json")) as { kind: string; response: string };
    expect(json).toMatchObject({ kind: "chat", response: "Hello from the fake model" });
    // The answer as text, exit 0 when the evaluation passed…
    expect((await cli("run", "TASK answer me")).trim()).toBe("answer to: give an answer");
    // …and exit 1, said in one line, when it did not.
    const failed = await execFileAsync(process.execPath, [BIN, "run", "TASK NOPE"], {
      env: { ...process.env, OXIOS_HOME: home },
    }).then(
      (done) => ({ code: 0, ...done }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout.trim()).toBe("nothing useful");
    expect(failed.stderr).toMatch(/^oxios: the task did not pass its evaluation \(score [\d.]+, \d run\(s\)\)\n$/);
    // The runs above stored their episodes as episodes; a plain search leaves them out.
    const episodes = await kernel.json<{ memories: Array<{ type: string }> }>("GET", "/api/memory?type=episode");
    expect(episodes.memories.length).toBeGreaterThanOrEqual(2);
    expect(await cli("memory", "search", "give an answer")).not.toMatch(/ episode /);
    expect(await cli("memory", "search", "give an answer", "--include-episodes")).toMatch(/ episode {4} Task: /);
    // A memory over several lines is one line of the listing.
    await cli("memory", "add", "first line\nsecond line\n\n  third");
    const listing = (await cli("memory", "list")).split("\n");
    expect(listing.filter((line) => line.includes("first line"))).toEqual([
      expect.stringMatching(/ fact {7} first line second line third$/),
    ]);
    expect(listing.some((line) => line.startsWith("second line"))).toBe(false);
  });

  it("Ctrl-C on oxios run exits 130 and stops the run in the kernel, chat and durable alike", async () => {
    const oxios = (...args: string[]) =>
      spawn(process.execPath, [BIN, ...args], { env: { ...process.env, OXIOS_HOME: home }, stdio: "pipe" });
    const ended = (child: ReturnType<typeof oxios>) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        let stderr = "";
        child.stderr?.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        child.on("exit", (code) => resolve({ code, stderr }));
      });

    // A chat run: the kernel drops the model call it was making once the CLI's request closes.
    const aborted = fake.abortedRequests;
    const arrived = fake.requests.length;
    const chat = oxios("run", "HANG until Ctrl-C");
    const chatEnded = ended(chat);
    await eventually(() =>
      fake.requests.slice(arrived).some((request) => JSON.stringify(request.body).includes("HANG until Ctrl-C"))
        ? true
        : undefined,
    );
    chat.kill("SIGINT");
    const chatExit = await chatEnded;
    expect(chatExit).toEqual({ code: 130, stderr: "oxios: cancelled (Ctrl-C); the kernel stopped the run\n" });
    await eventually(() => (fake.abortedRequests > aborted ? true : undefined));

    // oxios chat: Ctrl-C stops the reply in progress the same way, and leaves.
    const abortedBefore = fake.abortedRequests;
    const chatArrived = fake.requests.length;
    const session = oxios("chat");
    const sessionEnded = ended(session);
    session.stdin?.write("HANG in a chat\n");
    await eventually(() =>
      fake.requests.slice(chatArrived).some((request) => JSON.stringify(request.body).includes("HANG in a chat"))
        ? true
        : undefined,
    );
    session.kill("SIGINT");
    expect(await sessionEnded).toEqual({ code: 130, stderr: "oxios: cancelled (Ctrl-C)\n" });
    await eventually(() => (fake.abortedRequests > abortedBefore ? true : undefined));

    // A durable run outlives the command unless cancelled: Ctrl-C cancels it and its exec child goes.
    const marker = `0.${process.pid}${Math.floor(Math.random() * 1_000_000)}9`;
    const durable = oxios("run", `EXEC ${marker}`, "--idempotency-key", `ctrl-c-${marker}`);
    const durableEnded = ended(durable);
    await eventually(() => (processWithMarker(marker) ? true : undefined));
    durable.kill("SIGINT");
    const durableExit = await durableEnded;
    expect(durableExit.code).toBe(130);
    const taskId = /^oxios: cancelled \(Ctrl-C\): run (\S+)\n$/.exec(durableExit.stderr)?.[1];
    expect(taskId).toBeDefined();
    expect((await waitRun(kernel, taskId as string)).status).toBe("cancelled");
    await eventually(() => (processWithMarker(marker) ? undefined : true));
  });

  it("cancels a run mid-flight and its exec child is gone", async () => {
    const marker = `0.${process.pid}${Math.floor(Math.random() * 1_000_000)}7`;
    const run = await kernel.json<Run>("POST", "/api/runs", { goal: `EXEC ${marker}` });
    await eventually(() => (processWithMarker(marker) ? true : undefined));
    const cancel = await kernel.json<{ cancelled: boolean }>("POST", `/api/runs/${run.taskId}/cancel`);
    expect(cancel.cancelled).toBe(true);
    expect((await waitRun(kernel, run.taskId)).status).toBe("cancelled");
    // The tail never ends by itself: only the cancel can take it away. The exec tool kills the
    // child's whole process group (SIGTERM, then SIGKILL after its grace).
    await eventually(() => (processWithMarker(marker) ? undefined : true));
  });

  it("stores memories and spaces, and keeps them across a SIGTERM restart with the audit chain intact", async () => {
    const memory = await kernel.json<{ id: string }>("POST", "/api/memory", {
      content: "The deploy freeze starts on December 20",
      type: "decision",
      tags: ["ops"],
    });
    const space = await kernel.json<{ id: string }>("POST", "/api/spaces", { name: "Atlas", tags: ["atlas"] });
    const search = await kernel.json<{ results: Array<{ id: string }> }>("POST", "/api/memory/search", {
      query: "when does the deploy freeze start",
    });
    expect(search.results[0]?.id).toBe(memory.id);
    const before = await kernel.json<{ ok: boolean; entries: number }>("GET", "/api/audit/verify");
    expect(before.ok).toBe(true);

    kernel.child.kill("SIGTERM");
    const exit = await kernel.exited;
    expect(exit.code).toBe(0);
    expect(existsSync(join(home, "oxios.pid"))).toBe(false);
    // Every connection checkpointed the write-ahead log at close: nothing is left in it.
    const wal = join(home, "oxios.db-wal");
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    expect(kernel.output()).toMatch(
      /"step":"drain scheduler".*"message":"shutdown step done"[\s\S]*stop agents[\s\S]*flush memory writes[\s\S]*flush audit[\s\S]*flush git commits[\s\S]*close databases[\s\S]*remove pid file/,
    );

    kernel = await startKernel(home, env);
    expect((await kernel.json<{ id: string }>("GET", `/api/memory/${memory.id}`)).id).toBe(memory.id);
    expect((await kernel.json<{ name: string }>("GET", `/api/spaces/${space.id}`)).name).toBe("Atlas");
    await kernel.json("POST", "/api/memory", { content: "after the restart" });
    const after = await kernel.json<{ ok: boolean; entries: number }>("GET", "/api/audit/verify");
    expect(after.ok).toBe(true);
    expect(after.entries).toBeGreaterThan(before.entries);
    const log = await kernel.json<{ commits: unknown[] }>("GET", "/api/git/log");
    expect(log.commits.length).toBeGreaterThan(0);
  });

  it("refuses a second kernel on the same home and reports an occupied port", async () => {
    const second = spawnKernel({ OXIOS_HOME: home, OXIOS_PORT: "0", ...env });
    expect((await second.exited).code).toBe(1);
    expect(second.output()).toMatch(/already running \(pid \d+\)/);
    const port = new URL(kernel.url).port;
    const other = spawnKernel({ OXIOS_HOME: tempHome(), OXIOS_PORT: port });
    expect((await other.exited).code).toBe(1);
    expect(other.output()).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect((await kernel.request("GET", "/api/status")).status).toBe(200);
  });

  it("after SIGKILL mid-run the next start recovers the stale pid file and resumes the run from its journal", async () => {
    gate.close();
    const run = await kernel.json<Run>("POST", "/api/runs", { goal: "HELD across a crash" });
    // The run is at the model, its reply held, when the kernel dies.
    await eventually(() => (gate.waiters.length === 1 ? true : undefined));
    kernel.child.kill("SIGKILL");
    await kernel.exited;
    expect(existsSync(join(home, "oxios.pid"))).toBe(true);
    gate.open();

    kernel = await startKernel(home, env);
    const resumed = await waitRun(kernel, run.taskId);
    expect(resumed).toMatchObject({ status: "completed", resumes: 1, text: "answer to: HELD across a crash" });
    const status = await kernel.json<{ interruptedRuns: unknown[] }>("GET", "/api/status");
    expect(status.interruptedRuns).toEqual([]);
    const { entries } = await kernel.json<{ entries: Array<{ action: string; resource?: string }> }>(
      "GET",
      "/api/audit?limit=1000",
    );
    expect(JSON.stringify(entries.filter((entry) => entry.action.includes("run.resumed")))).toContain(run.taskId);
    expect((await kernel.json<{ ok: boolean }>("GET", "/api/audit/verify")).ok).toBe(true);
    kernel.child.kill("SIGTERM");
    expect((await kernel.exited).code).toBe(0);
  });
});

describe("configuration errors", () => {
  it("an invalid config.toml stops the start with the file and line", async () => {
    const home = tempHome();
    writeFileSync(join(home, "config.toml"), 'port = 4200\nmodel = "demo"\nhost = \n');
    const kernel = spawnKernel({ OXIOS_HOME: home });
    expect((await kernel.exited).code).toBe(1);
    expect(kernel.output()).toContain(`${join(home, "config.toml")}:3:`);
    expect(existsSync(join(home, "oxios.pid"))).toBe(false);
  });

  it("a wrong environment value names the variable and the expected form", async () => {
    const kernel = spawnKernel({ OXIOS_HOME: tempHome(), OXIOS_MAX_CONCURRENT: "many" });
    expect((await kernel.exited).code).toBe(1);
    expect(kernel.output()).toContain("OXIOS_MAX_CONCURRENT must be an integer from 1 to 1024");
  });
});
