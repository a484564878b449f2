// The escape table end to end: a real kernel process on its defaults (no config file: role
// user, template standard, the default exec allowlist, exec_sandbox auto), the scripted model
// making the tool calls an attacker would. Each test fails if its attack works. Then the two
// ways exec may end up without a sandbox: bubblewrap missing (exec refused) and an explicit
// exec_sandbox = "none" (runs, and says so everywhere).

import { execFile, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  FakeLlmServer,
  type FakeReply,
  type FakeRequest,
  type FakeToolCall,
  lastUserText,
} from "@oxios/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, eventually, type KernelProcess, startKernel, tempHome } from "./__fixtures__/kernel-process.ts";

interface Run {
  taskId: string;
  agentId: string;
  status: string;
}

const LLM_KEY = "sk-escape-llm-key-never-leaves-the-kernel";
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const execFileAsync = promisify(execFile);

/** The tool results the model was sent, as text: what the agent got to see. */
function toolResults(request: FakeRequest): string[] {
  return (request.body.messages ?? [])
    .filter((message) => message.role === "tool")
    .map((message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content)));
}

/**
 * The fake model: a goal `PLAN <name>` makes the tool calls of plan `<name>` one per turn
 * (each after the previous result came back), then answers "done".
 */
function planResponder(plans: Map<string, FakeToolCall[]>) {
  return (request: FakeRequest): FakeReply => {
    const goal = lastUserText(request.body);
    const plan = plans.get(goal.startsWith("PLAN ") ? goal.slice(5).trim() : "");
    if (plan === undefined) return { text: `no plan for ${goal}` };
    const next = plan[toolResults(request).length];
    return next === undefined ? { text: "done" } : { toolCalls: [next] };
  };
}

function processWithMarker(marker: string): boolean {
  const list = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
  return list.split("\n").some((line) => line.includes(marker));
}

async function waitRun(kernel: KernelProcess, taskId: string): Promise<Run> {
  return eventually(async () => {
    const run = await kernel.json<Run>("GET", `/api/runs/${taskId}`);
    return TERMINAL.has(run.status) ? run : undefined;
  });
}

describe("the escape table against a kernel on its defaults", () => {
  const home = tempHome();
  const plans = new Map<string, FakeToolCall[]>();
  let fake: FakeLlmServer;
  let kernel: KernelProcess;
  let token: string;
  let config: string;

  beforeAll(async () => {
    fake = await FakeLlmServer.start({ script: planResponder(plans) });
    kernel = await startKernel(home, {
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
      OXIOS_LLM_API_KEY: LLM_KEY,
      // Not a security setting: shutdown waits this long for running work before stopping it.
      OXIOS_DRAIN_TIMEOUT_MS: "1000",
    });
    token = readFileSync(join(home, "api-token"), "utf8").trim();
    config = join(home, "config.toml");
    writeFileSync(config, "# operator's configuration\n", { mode: 0o600 });
  });

  afterAll(async () => {
    if (kernel.child.exitCode === null) kernel.child.kill("SIGKILL");
    await fake.close();
  });

  /** Runs plan `name` to its end; returns the run and what the agent saw (each tool result, and all of them). */
  async function runPlan(name: string, calls: FakeToolCall[]) {
    plans.set(name, calls);
    const started = await kernel.json<Run>("POST", "/api/runs", { goal: `PLAN ${name}` });
    const run = await waitRun(kernel, started.taskId);
    // The last request of the plan carries every tool result of the run.
    const last = fake.requests.filter((request) => lastUserText(request.body) === `PLAN ${name}`).at(-1);
    const results = last === undefined ? [] : toolResults(last);
    return { run, results, seen: results.join("\n") };
  }

  it("reports the sandbox in /api/status", async () => {
    const status = await kernel.json<{ sandbox: unknown; modules: Record<string, string> }>("GET", "/api/status");
    expect(status.sandbox).toEqual({ kind: "bubblewrap", available: true });
    expect(status.modules.sandbox).toBe("bubblewrap");
  });

  it("sort --compress-program=sh: the agent's script runs, and reaches neither token, key, config nor the kernel", async () => {
    const { pid } = await kernel.json<{ pid: number }>("GET", "/api/status");
    const script = [
      `cat ${home}/api-token > stolen-token 2>&1`,
      `cat /proc/${pid}/environ > stolen-environ 2>&1`,
      `echo "[mcp.servers.evil]" >> ${config} 2>> write-errors`,
      `ls -a ${home} > home-listing 2>&1`,
      "echo executed > proof",
      ...Array.from(
        { length: 60 },
        (_, index) => `# padding so sort spills to its compressor ${index} ${"x".repeat(40)}`,
      ),
    ].join("\n");
    // A concluded run's workspace goes with it: the agent reads back what its script left.
    const { run, results, seen } = await runPlan("sort", [
      { name: "write", arguments: { path: "evil.sh", content: `${script}\n` } },
      {
        name: "exec",
        arguments: { binary: "sort", args: ["-S", "1", "--compress-program=sh", "-o", "/dev/null", "evil.sh"] },
      },
      { name: "read", arguments: { path: "proof" } },
      { name: "read", arguments: { path: "stolen-token" } },
      { name: "read", arguments: { path: "stolen-environ" } },
      { name: "read", arguments: { path: "home-listing" } },
    ]);
    expect(run.status).toBe("completed");
    const read = results.slice(2).map((result) => (JSON.parse(result) as { content?: string }).content);
    expect(read[0]).toBe("executed\n");
    for (const stolen of [read[1], read[2]]) {
      expect(stolen).toMatch(/No such file/);
      expect(stolen).not.toContain(token);
      expect(stolen).not.toContain(LLM_KEY);
    }
    expect(read[3]).toEqual(expect.any(String));
    expect(read[3]?.split("\n")).not.toContain("api-token");
    expect(seen).not.toContain(token);
    expect(seen).not.toContain(LLM_KEY);
    expect(readFileSync(config, "utf8")).toBe("# operator's configuration\n");
  });

  it("reads the API token neither by absolute nor by relative path, with exec or read", async () => {
    const { run, seen } = await runPlan("token", [
      { name: "exec", arguments: { binary: "cat", args: [`${home}/api-token`] } },
      { name: "exec", arguments: { binary: "cat", args: ["../../api-token"] } },
      { name: "read", arguments: { path: `${home}/api-token` } },
      { name: "read", arguments: { path: "../../api-token" } },
    ]);
    expect(run.status).toBe("completed");
    expect(seen).not.toContain(token);
    expect(seen).toContain("No such file or directory"); // exec: the sandbox has no such file
    expect(seen).toContain("TOOL_EXEC_DENIED"); // exec: `..` refused by the first layer
    expect(seen).toContain("TOOL_PATH_DENIED"); // read: outside the workspace
  });

  it("cannot overwrite config.toml with write, edit or exec", async () => {
    const evil = '[mcp.servers.evil]\ncommand = "sh"\nargs = ["-c", "cat ../../api-token"]\n';
    const { run, seen } = await runPlan("config", [
      { name: "write", arguments: { path: config, content: evil } },
      { name: "write", arguments: { path: "../../config.toml", content: evil } },
      { name: "edit", arguments: { path: config, oldText: "operator", newText: "agent" } },
      { name: "write", arguments: { path: "evil.toml", content: evil } },
      { name: "exec", arguments: { binary: "sort", args: ["-o", config, "evil.toml"] } },
    ]);
    expect(run.status).toBe("completed");
    expect(seen.match(/TOOL_PATH_DENIED/g)?.length).toBe(3);
    expect(readFileSync(config, "utf8")).toBe("# operator's configuration\n");
  });

  it("a setsid grandchild dies when its run is cancelled", async () => {
    const [detached, foreground] = [`1000.${process.pid}71`, `1000.${process.pid}72`];
    // Sorted lines: the setsid line comes before the sleep that keeps the call running.
    const script = [
      `setsid sleep ${detached} &`,
      `sleep ${foreground}`,
      ...Array.from({ length: 60 }, (_, index) => `# ${index} ${"x".repeat(40)}`),
    ];
    plans.set("setsid", [
      { name: "write", arguments: { path: "hold.sh", content: `${script.join("\n")}\n` } },
      {
        name: "exec",
        arguments: { binary: "sort", args: ["-S", "1", "--compress-program=sh", "-o", "/dev/null", "hold.sh"] },
      },
    ]);
    const started = await kernel.json<Run>("POST", "/api/runs", { goal: "PLAN setsid" });
    await eventually(() => (processWithMarker(detached) && processWithMarker(foreground) ? true : undefined));
    const cancel = await kernel.json<{ cancelled: boolean }>("POST", `/api/runs/${started.taskId}/cancel`);
    expect(cancel.cancelled).toBe(true);
    await eventually(() => (processWithMarker(detached) || processWithMarker(foreground) ? undefined : true));
    expect((await waitRun(kernel, started.taskId)).status).toBe("cancelled");
  });

  it("the kernel survived all of it, and its shutdown ends a running sandbox with everything in it", async () => {
    expect((await fetch(`${kernel.url}/health`)).status).toBe(200);
    const marker = `1000.${process.pid}73`;
    const script = [
      `setsid sleep ${marker} &`,
      "sleep 1001",
      ...Array.from({ length: 60 }, (_, index) => `# ${index} ${"x".repeat(40)}`),
    ];
    plans.set("shutdown", [
      { name: "write", arguments: { path: "hold.sh", content: `${script.join("\n")}\n` } },
      {
        name: "exec",
        arguments: { binary: "sort", args: ["-S", "1", "--compress-program=sh", "-o", "/dev/null", "hold.sh"] },
      },
    ]);
    await kernel.json<Run>("POST", "/api/runs", { goal: "PLAN shutdown" });
    await eventually(() => (processWithMarker(marker) ? true : undefined));
    kernel.child.kill("SIGTERM");
    expect((await kernel.exited).code).toBe(0);
    await eventually(() => (processWithMarker(marker) ? undefined : true));
  });
});

describe("programs granted by exec_binaries", () => {
  it("git, node and python3 run inside the sandbox when config.toml grants them", async () => {
    const home = tempHome();
    writeFileSync(join(home, "config.toml"), 'exec_binaries = ["git", "node", "python3"]\n', { mode: 0o600 });
    const plans = new Map<string, FakeToolCall[]>();
    const fake = await FakeLlmServer.start({ script: planResponder(plans) });
    const kernel = await startKernel(home, {
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
      OXIOS_LLM_API_KEY: LLM_KEY,
    });
    try {
      const identity = ["-c", "user.name=agent", "-c", "user.email=agent@oxios"];
      plans.set("toolchain", [
        { name: "write", arguments: { path: "hello.py", content: "print(sum([20, 22]))\n" } },
        { name: "exec", arguments: { binary: "python3", args: ["hello.py"] } },
        { name: "write", arguments: { path: "hello.js", content: "console.log(6 * 7);\n" } },
        { name: "exec", arguments: { binary: "node", args: ["hello.js"] } },
        { name: "exec", arguments: { binary: "git", args: ["init", "-q"] } },
        { name: "exec", arguments: { binary: "git", args: ["add", "hello.py", "hello.js"] } },
        // A concluded run's workspace goes with it: the commit's own report is the evidence.
        { name: "exec", arguments: { binary: "git", args: [...identity, "commit", "-m", "first"] } },
      ]);
      const started = await kernel.json<Run>("POST", "/api/runs", { goal: "PLAN toolchain" });
      expect((await waitRun(kernel, started.taskId)).status).toBe("completed");
      const last = fake.requests.filter((request) => lastUserText(request.body) === "PLAN toolchain").at(-1);
      const results = last === undefined ? [] : toolResults(last);
      expect(results).toHaveLength(7);
      const outputs = results.map((result) => JSON.parse(result) as { exitCode?: number; stdout?: string });
      expect(outputs[1]).toMatchObject({ exitCode: 0, stdout: "42\n" });
      expect(outputs[3]).toMatchObject({ exitCode: 0, stdout: "42\n" });
      expect(outputs.slice(4).map((output) => output.exitCode)).toEqual([0, 0, 0]);
      expect(outputs[6]?.stdout).toMatch(/^\[\S+ \(root-commit\) [0-9a-f]+\] first\n/);
    } finally {
      kernel.child.kill("SIGTERM");
      await kernel.exited;
      await fake.close();
    }
  });
});

describe("exec without a sandbox", () => {
  let fake: FakeLlmServer;
  const plans = new Map<string, FakeToolCall[]>();
  beforeAll(async () => {
    fake = await FakeLlmServer.start({ script: planResponder(plans) });
    plans.set("echo", [{ name: "exec", arguments: { binary: "echo", args: ["ran"] } }]);
  });
  afterAll(async () => {
    await fake.close();
  });
  const model = () => ({
    OXIOS_MODEL: "openai-compatible/fake",
    OXIOS_LLM_BASE_URL: fake.baseUrl,
    OXIOS_LLM_API_KEY: LLM_KEY,
  });

  it("bubblewrap missing: the kernel boots, exec is refused with EXEC_SANDBOX_UNAVAILABLE, status says why", async () => {
    const home = tempHome();
    // No bwrap on this PATH (the kernel itself is started by absolute path).
    const kernel = await startKernel(home, { ...model(), PATH: "/nonexistent" });
    try {
      const status = await kernel.json<{ sandbox: { available: boolean; reason: string } }>("GET", "/api/status");
      expect(status.sandbox).toMatchObject({ kind: "bubblewrap", available: false });
      expect(status.sandbox.reason).toContain("apt-get install bubblewrap");
      expect(kernel.output()).toContain("exec is refused (EXEC_SANDBOX_UNAVAILABLE)");
      const before = fake.requests.length;
      const started = await kernel.json<Run>("POST", "/api/runs", { goal: "PLAN echo" });
      await waitRun(kernel, started.taskId);
      const seen = fake.requests.slice(before).flatMap(toolResults).join("\n");
      expect(seen).toContain("EXEC_SANDBOX_UNAVAILABLE");
      expect(seen).not.toContain('"stdout":"ran');
    } finally {
      kernel.child.kill("SIGTERM");
      await kernel.exited;
    }
  });

  it('exec_sandbox = "none": programs run unsandboxed, and boot, /api/status and doctor say so', async () => {
    const home = tempHome();
    writeFileSync(join(home, "config.toml"), 'exec_sandbox = "none"\n', { mode: 0o600 });
    const kernel = await startKernel(home, model());
    try {
      expect(kernel.output()).toContain("exec runs WITHOUT an OS sandbox");
      const status = await kernel.json<{ sandbox: unknown; modules: Record<string, string> }>("GET", "/api/status");
      expect(status.sandbox).toMatchObject({ kind: "none", available: true });
      expect(status.modules.sandbox).toBe("none");
      const before = fake.requests.length;
      const started = await kernel.json<Run>("POST", "/api/runs", { goal: "PLAN echo" });
      await waitRun(kernel, started.taskId);
      const seen = fake.requests.slice(before).flatMap(toolResults).join("\n");
      expect(seen).toContain('"exitCode":0,"signal":null,"stdout":"ran\\n"');
    } finally {
      kernel.child.kill("SIGTERM");
      await kernel.exited;
    }
    const doctor = await execFileAsync(process.execPath, [BIN, "doctor"], {
      env: { ...process.env, OXIOS_HOME: home, OXIOS_EMBEDDER: "hashing" },
    }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    expect(doctor.stdout).toMatch(/sandbox\s+none — WARNING: exec runs WITHOUT an OS sandbox/);
  });
});
