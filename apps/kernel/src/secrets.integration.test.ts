import { execFileSync, spawn } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { openDatabase } from "@oxios/database";
import { FakeLlmServer, type FakeRequest, lastUserText } from "@oxios/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  freePort,
  type KernelProcess,
  MAIN,
  startKernel,
  tempHome,
} from "./__fixtures__/kernel-process.ts";

const LLM_KEY = "sk-e2e-llm-key-0123456789";
const DEPLOY_SECRET = "deploy-secret-e2e-0123";
const A2A_TOKEN = "a2a-peer-token-e2e-0123";

/** Every path under `root` (directories included), not following symbolic links. */
function walk(root: string): string[] {
  const paths: string[] = [];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    paths.push(path);
    const info = lstatSync(path);
    if (info.isDirectory() && !info.isSymbolicLink()) paths.push(...walk(path));
  }
  return paths;
}

function toolMessages(request: FakeRequest): string {
  return JSON.stringify((request.body.messages ?? []).filter((message) => message.role === "tool"));
}

describe("secrets never reach agents or disk in clear", () => {
  const home = tempHome();
  let fake: FakeLlmServer;
  let kernel: KernelProcess;
  let secrets: string[] = [];
  let runId = "";

  /** The fake model: reads a planted file, names the key in a path, then quotes every secret it knows. */
  function responder(request: FakeRequest) {
    if (JSON.stringify(request.body.response_format ?? "").includes("isTask")) {
      return {
        json: {
          isTask: true,
          chatResponse: "",
          complexity: "simple",
          questions: [],
          clarity: { goal: 1, constraints: 1, criteria: 1 },
          goal: "LEAK what the workspace holds",
          constraints: [],
          acceptanceCriteria: ['the answer contains "I read"'],
        },
      };
    }
    const toolResults = (request.body.messages ?? []).filter((message) => message.role === "tool").length;
    if (toolResults >= 3) return { text: `I read: ${secrets.join(" ")}` };
    if (toolResults === 1) {
      // The first tool call opened the agent's workspace; plant the secrets there.
      for (const agent of readdirSync(join(home, "agents"))) {
        writeFileSync(join(home, "agents", agent, "secret.txt"), `${secrets.join("\n")}\n`);
      }
      return {
        toolCalls: [
          { name: "read", arguments: { path: "secret.txt" } },
          { name: "read", arguments: { path: `missing-${LLM_KEY}.txt` } },
        ],
      };
    }
    if (lastUserText(request.body).includes("LEAK")) {
      // A workspace is made at an agent's first tool call: look first, then read what is planted.
      return { toolCalls: [{ name: "read", arguments: { path: "not-there-yet.txt" } }] };
    }
    return { text: "nothing to do" };
  }

  beforeAll(async () => {
    fake = await FakeLlmServer.start({ script: responder });
    kernel = await startKernel(home, {
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
      OXIOS_LLM_API_KEY: LLM_KEY,
      OXIOS_A2A_TOKENS: JSON.stringify({ "https://peer.example/": A2A_TOKEN }),
      DEPLOY_SECRET,
    });
    secrets = [LLM_KEY, DEPLOY_SECRET, A2A_TOKEN, kernel.token];
  });

  afterAll(async () => {
    if (kernel.child.exitCode === null) kernel.child.kill("SIGKILL");
    await fake.close();
  });

  const expectClean = (text: string, where: string) => {
    for (const secret of secrets) expect(text.includes(secret), `${where} holds ${secret}`).toBe(false);
  };

  it("creates every file in the home for its owner only (home 0700, oxios.db and its WAL 0600, state/ and git)", async () => {
    const mode = (path: string) => (statSync(join(home, path)).mode & 0o777).toString(8);
    expect(mode(".")).toBe("700");
    for (const file of ["oxios.db", "oxios.db-wal", "oxios.db-shm", "api-token", "oxios.pid"]) {
      expect(mode(file), file).toBe("600");
    }
    for (const dir of ["state", "state/.git", "state/.git/objects"]) expect(mode(dir), dir).toBe("700");
    for (const path of walk(home)) {
      expect(statSync(path).mode & 0o077, `${relative(home, path)} is open to others`).toBe(0);
    }
  });

  it("a tool output holding the secrets is stored redacted in the run record and the journal", async () => {
    const started = await kernel.json<{ taskId: string }>("POST", "/api/runs", {
      goal: "LEAK what the workspace holds",
    });
    runId = started.taskId;
    const run = await kernel.json<{ status: string; text: string }>("GET", `/api/runs/${runId}?waitMs=20000`);
    expect(run.status).toBe("completed");
    expect(run.text).toContain("I read: [redacted:llm-api-key] [redacted:env:DEPLOY_SECRET]");
    expectClean(JSON.stringify(run), "the run record");
    // The model never saw them: the tool results it was sent were redacted by the gate.
    const withResults = fake.requests.filter((request) => toolMessages(request) !== "[]");
    expect(withResults.length).toBeGreaterThan(0);
    for (const request of withResults) expectClean(toolMessages(request), "a tool result sent to the model");
    // The planted file's contents reached the model, redacted.
    expect(withResults.some((request) => toolMessages(request).includes("[redacted:llm-api-key]"))).toBe(true);
    // The run journal in oxios.db: the run's record and every step (the tool result among them).
    const db = await openDatabase({ url: join(home, "oxios.db") });
    const journal = JSON.stringify([
      db.all("SELECT * FROM run_records WHERE task_id = ?", [runId]),
      db.all("SELECT * FROM run_steps WHERE task_id = ?", [runId]),
    ]);
    db.close();
    expect(journal).toContain('"completed"');
    expect(journal).toContain("[redacted:llm-api-key]");
    expectClean(journal, "the run journal");
  });

  it("and in the memory episode and the audit trail of a chat task", async () => {
    const chat = await kernel.json<{ kind: string; evaluationPassed: boolean }>("POST", "/api/chat", {
      message: "TASK LEAK it",
    });
    expect(chat).toMatchObject({ kind: "task", evaluationPassed: true });
    const { memories } = await kernel.json<{ memories: Array<{ type: string; content: string }> }>(
      "GET",
      "/api/memory?limit=1000",
    );
    const episode = memories.find((memory) => memory.type === "episode");
    expect(episode?.content).toContain("I read: [redacted:llm-api-key]");
    expectClean(JSON.stringify(memories), "memory");
    const { entries } = await kernel.json<{ entries: unknown[] }>("GET", "/api/audit?limit=1000");
    const audit = JSON.stringify(entries);
    expect(audit).toContain("missing-[redacted:llm-api-key].txt");
    expectClean(audit, "the audit trail");
  });

  it("leaves no secret in any file of the home, the git history, the conversation buffer or the output", async () => {
    kernel.child.kill("SIGTERM");
    expect((await kernel.exited).code).toBe(0);

    const db = await openDatabase({ url: join(home, "oxios.db") });
    const turns = db.all<{ content: string }>("SELECT role, content FROM conversation_turns");
    db.close();
    expect(turns.map((turn) => turn.content).join("\n")).toContain("I read: [redacted:llm-api-key]");

    const files = walk(home).filter(
      (path) => statSync(path).isFile() && path !== join(home, "api-token") && !path.startsWith(join(home, "agents")),
    );
    expect(files).toContain(join(home, "oxios.db"));
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const secret of secrets)
        expect(bytes.includes(secret), `${relative(home, file)} holds ${secret}`).toBe(false);
    }
    const history = execFileSync("git", ["log", "-p", "--all", "--format=%H %s%n%b"], {
      cwd: join(home, "state"),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    // Runs live in the journal, not in the state store's history.
    expect(history).not.toContain(`runs/${runId}.json`);
    expectClean(history, "the git history");
    expectClean(kernel.output(), "the kernel's output");
    expect(kernel.output()).toContain(`token: created in ${join(home, "api-token")}`);
  });
});

describe("a home an older version left open to others", () => {
  it("is tightened at the first boot, with one warning, and not again", async () => {
    const home = tempHome();
    mkdirSync(join(home, "state", "runs"), { recursive: true });
    mkdirSync(join(home, "logs"));
    writeFileSync(join(home, "config.toml"), "max_concurrent = 2\n");
    writeFileSync(join(home, "state", "runs", "old.json"), "{}\n");
    writeFileSync(join(home, "logs", "oxios.log"), "old log\n");
    for (const dir of [home, join(home, "state"), join(home, "state", "runs"), join(home, "logs")])
      chmodSync(dir, 0o755);
    for (const file of ["config.toml", "state/runs/old.json", "logs/oxios.log"]) chmodSync(join(home, file), 0o644);

    const first = await startKernel(home);
    first.child.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
    expect(first.output().match(/tightened permissions in the Oxios home/g)).toHaveLength(1);
    for (const path of [home, ...walk(home)]) {
      expect(statSync(path).mode & 0o077, `${relative(home, path) || "home"} is open to others`).toBe(0);
    }

    const second = await startKernel(home);
    second.child.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
    expect(second.output()).not.toContain("tightened permissions");
  });
});

describe("the API token on a terminal", () => {
  /** Runs the kernel under `script`, so its output is a terminal; stops it once it listens. */
  async function onTerminal(home: string): Promise<string> {
    const command = `${process.execPath} --conditions=@oxios/source --import tsx ${MAIN} start --foreground`;
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: { ...process.env, OXIOS_HOME: home, OXIOS_PORT: String(await freePort()), OXIOS_EMBEDDER: "hashing" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await eventually(() => (/listening on[\s\S]*a2a:/.test(output) ? true : undefined));
    const { pid } = JSON.parse(readFileSync(join(home, "oxios.pid"), "utf8")) as { pid: number };
    process.kill(pid, "SIGTERM");
    await exited;
    return output;
  }

  it("is shown once when the kernel creates it, and never again", async () => {
    const home = tempHome();
    const first = await onTerminal(home);
    const token = readFileSync(join(home, "api-token"), "utf8").trim();
    expect(first.split(token)).toHaveLength(2);
    expect(first).toContain("shown this once");
    const second = await onTerminal(home);
    expect(second).not.toContain(token);
    expect(second).toContain(`token: in ${join(home, "api-token")}`);
  });

  it("logs coloured one-line records there, and JSON lines into a file or pipe", async () => {
    const output = await onTerminal(tempHome());
    const plain = stripVTControlCharacters(output);
    expect(plain).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): kernel ready {"url":"http:[^"]+","bootMs":\d+}\r?$/m,
    );
    expect(output).toContain("\u001b[32mINFO\u001b[39m");
    expect(plain).not.toMatch(/^{"/m);
  });
});
