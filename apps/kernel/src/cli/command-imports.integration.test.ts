/**
 * The import-graph guard of the `oxios` command: a thin command (help, version, daemon control
 * and the HTTP-client commands) loads no part of the kernel — no libsql, embedder, AI SDK, hono
 * or zod — and a kernel at rest loads none of what only some requests or settings use (the A2A
 * SDK, the model providers, MCP, OpenTelemetry, the YAML parser of skills, and in an existing
 * home isomorphic-git) until the first one that does. Each command runs as
 * the real bin (the built `dist/`) in a child process that records every module it loads; the
 * packages those modules belong to are compared with what the command may load.
 */

import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { type ServedHttp, serve } from "@oxios/daemon";
import { FakeLlmServer, type FakeRequest, lastUserText } from "@oxios/runtime/testing";
import type { PortCallOptions } from "@oxios/tools";
import { type A2aServer, type A2aTaskRequest, createA2aServer } from "@oxios/tools/a2a";
import { FakeA2aKernelPort } from "@oxios/tools/testing";
import { describe, expect, it, onTestFinished } from "vitest";
import { BIN, eventually, freePort, startKernel, tempHome } from "../__fixtures__/kernel-process.ts";

const RECORDER = pathToFileURL(fileURLToPath(new URL("../__fixtures__/record-loaded-modules.mjs", import.meta.url)));

/** Besides Node's built-ins and the kernel's own files, all that a thin command may load. */
const THIN_PACKAGES = ["@oxios/kernel", "@oxios/core", "@oxios/daemon", "smol-toml"];

interface RecordedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The package of every file the process loaded (by its nearest named package.json). */
  packages: Set<string>;
}

const packageByDirectory = new Map<string, string>();

function packageOf(file: string): string {
  const directory = dirname(file);
  const known = packageByDirectory.get(directory);
  if (known !== undefined) return known;
  const manifest = join(directory, "package.json");
  const name = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name
    : undefined;
  const found = name ?? (dirname(directory) === directory ? "(no package)" : packageOf(directory));
  packageByDirectory.set(directory, found);
  return found;
}

/** What a recorder's file lists so far: the files loaded, and their packages. */
function readRecord(record: string): { files: Set<string>; packages: Set<string> } {
  const urls = readFileSync(record, "utf8").split("\n");
  const files = urls.filter((url) => url.startsWith("file:")).map((url) => fileURLToPath(url));
  return { files: new Set(files), packages: new Set(files.map(packageOf)) };
}

/** Runs `oxios …args` with the module recorder preloaded; `input` is written to its stdin. */
function runRecorded(args: string[], env: Record<string, string>, input = ""): Promise<RecordedRun> {
  const record = join(env.OXIOS_HOME as string, `modules-${args.join("-").replace(/[^\w-]/g, "_")}.txt`);
  rmSync(record, { force: true });
  const child = spawn(process.execPath, ["--import", RECORDER.href, BIN, ...args], {
    env: { ...process.env, ...env, OXIOS_RECORD_MODULES: record },
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
    child.once("close", (code) => resolve({ code, stdout, stderr, packages: readRecord(record).packages }));
  });
}

/** A remote agent's kernel that finishes every task as soon as it is submitted. */
class AnsweringA2aKernel extends FakeA2aKernelPort {
  override async submit(request: A2aTaskRequest, options?: PortCallOptions): Promise<{ taskId: string }> {
    const submitted = await super.submit(request, options);
    this.update(submitted.taskId, { state: "completed", message: `translated: ${request.goal}` });
    return submitted;
  }
}

function beyond(run: RecordedRun, allowed: readonly string[]): string[] {
  return [...run.packages].filter((name) => !allowed.includes(name)).sort();
}

/** Records what `oxios start --foreground` loads until it is ready, then stops it. */
async function loadedBy(extra: Record<string, string>, configToml?: string): Promise<RecordedRun> {
  const port = await freePort();
  const home = tempHome();
  if (configToml !== undefined) writeFileSync(join(home, "config.toml"), configToml);
  const env = { OXIOS_HOME: home, OXIOS_PORT: String(port), OXIOS_EMBEDDER: "hashing", ...extra };
  const run = runRecorded(["start", "--foreground"], env);
  await eventually(async () => {
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
    return ready?.ok === true ? true : undefined;
  });
  await promisify(execFile)(process.execPath, [BIN, "stop"], { env: { ...process.env, ...env } });
  return run;
}

describe("what each oxios command loads", () => {
  it("--help and --version load only the kernel's own files", async () => {
    const env = { OXIOS_HOME: tempHome() };
    const help = await runRecorded(["--help"], env);
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining("usage: oxios") });
    expect(beyond(help, ["@oxios/kernel"])).toEqual([]);
    const version = await runRecorded(["--version"], env);
    const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(version).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
    expect(beyond(version, ["@oxios/kernel"])).toEqual([]);
  });

  it("daemon control and every client command load only core, daemon and smol-toml", async () => {
    const env = { OXIOS_HOME: tempHome(), OXIOS_PORT: String(await freePort()), OXIOS_EMBEDDER: "hashing" };
    // The daemon `start` leaves behind is stopped even when an assertion fails half-way.
    onTestFinished(async () => {
      await promisify(execFile)(process.execPath, [BIN, "stop"], { env: { ...process.env, ...env } });
    });
    const commands: Array<{ args: string[]; input?: string; code?: number }> = [
      { args: ["start"] },
      { args: ["status"] },
      { args: ["memory", "add", "Ana prefers tea", "--type", "preference"] },
      { args: ["memory", "search", "what does Ana drink"] },
      { args: ["memory", "list"] },
      { args: ["run", "hello"] },
      { args: ["chat"], input: "hello\n" },
      { args: ["agent", "list"] },
      { args: ["space", "create", "Garden"] },
      { args: ["space", "list"] },
      { args: ["audit", "verify"] },
      { args: ["audit", "tail", "--limit", "2"] },
      { args: ["git", "log"] },
      { args: ["git", "tags"] },
      { args: ["git", "verify"] },
      { args: ["agent", "profiles"] },
      { args: ["approvals"] },
      { args: ["schedule", "add", "hourly", "--every", "1h", "--goal", "say hello"] },
      { args: ["schedule", "list"] },
      { args: ["schedule", "rm", "hourly"] },
      { args: ["sessions"] },
      { args: ["audit", "export"] },
      { args: ["chat"], input: ".agent -\n.session\nhello\n" },
      { args: ["config", "get", "port"] },
      { args: ["config", "set", "max_concurrent", "4"] },
      { args: ["config", "path"] },
      { args: ["stop"] },
      { args: ["status"], code: 3 },
      { args: ["memory", "list"], code: 1 },
    ];
    for (const command of commands) {
      const run = await runRecorded(command.args, env, command.input);
      expect({ command: command.args.join(" "), code: run.code, stderr: run.stderr }).toEqual({
        command: command.args.join(" "),
        code: command.code ?? 0,
        stderr: command.code === 1 ? expect.stringContaining("not running") : "",
      });
      expect({ command: command.args.join(" "), loaded: beyond(run, THIN_PACKAGES) }).toEqual({
        command: command.args.join(" "),
        loaded: [],
      });
    }
  });

  it("a kernel without otel_endpoint never loads the OpenTelemetry SDK; with it, it does", async () => {
    // The AI SDK itself loads `@opentelemetry/api` (a no-op without a provider); the SDK, the
    // exporter and their dependencies are what tracing adds.
    const isOtel = (name: string) => name.startsWith("@opentelemetry/") && name !== "@opentelemetry/api";
    const off = await loadedBy({});
    expect(off.code).toBe(0);
    expect(off.packages.has("@oxios/runtime")).toBe(true);
    expect([...off.packages].filter(isOtel)).toEqual([]);
    // A closed port: the kernel runs, its exports fail (a warning), and the SDK is loaded.
    const on = await loadedBy({ OXIOS_OTEL_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    expect(on.code).toBe(0);
    expect([...on.packages].filter(isOtel)).toEqual(
      expect.arrayContaining(["@opentelemetry/sdk-trace", "@opentelemetry/exporter-trace-otlp-http"]),
    );
  });

  it("a kernel without MCP servers never loads the MCP SDK; with one configured, it does", async () => {
    const isMcp = (name: string) => name === "@modelcontextprotocol/sdk";
    const off = await loadedBy({});
    expect(off.code).toBe(0);
    expect(off.packages.has("@oxios/tools")).toBe(true);
    expect([...off.packages].filter(isMcp)).toEqual([]);
    // A server whose command does not exist: the kernel runs, the server backs off, the SDK is loaded.
    const on = await loadedBy({}, '[mcp.servers.broken]\ncommand = "/nonexistent/mcp-server"\n');
    expect(on.code).toBe(0);
    expect([...on.packages].filter(isMcp)).toEqual(["@modelcontextprotocol/sdk"]);
  });

  it("a kernel at rest loads no A2A SDK, jose, model provider, YAML parser or pretty log formatter; the first request that needs one does", async () => {
    // The ES modules a process loads are recorded as they load, so the record is read while the kernel runs.
    // pino-pretty formats the log for a terminal only; this kernel logs into a pipe.
    const lazy = [
      "@a2a-js/sdk",
      "jose",
      "@ai-sdk/openai",
      "@ai-sdk/anthropic",
      "@ai-sdk/openai-compatible",
      "yaml",
      "pino-pretty",
    ];
    const sdkSide = (files: Set<string>, side: "client" | "server") =>
      [...files].some((file) => packageOf(file) === "@a2a-js/sdk" && file.endsWith(`/dist/${side}/index.js`));
    const fake = await FakeLlmServer.start({
      script: (request: FakeRequest) => {
        if ((request.body.messages ?? []).some((message) => message.role === "tool")) return { text: "sent" };
        return lastUserText(request.body) === "SEND"
          ? { toolCalls: [{ name: "a2a_send", arguments: { targetAgent: "translator", content: "hola" } }] }
          : { text: "hello" };
      },
    });
    onTestFinished(() => fake.close());
    // A remote agent the kernel fetches the card of at boot (which needs no SDK).
    let peer: A2aServer | undefined;
    const served: ServedHttp = await serve((request) => (peer as A2aServer).fetch(request), {
      hostname: "127.0.0.1",
      port: 0,
    });
    onTestFinished(() => served.close());
    peer = createA2aServer({
      kernel: new AnsweringA2aKernel(),
      card: { name: "translator", description: "translates", version: "1.0.0", url: `${served.url}/a2a` },
    });
    const home = tempHome();
    writeFileSync(join(home, "config.toml"), `agent_network = true\na2a_agents = ["${served.url}"]\n`);
    const record = join(home, "modules.txt");
    const kernel = await startKernel(
      home,
      {
        OXIOS_MODEL: "openai-compatible/fake",
        OXIOS_LLM_BASE_URL: fake.baseUrl,
        OXIOS_RECORD_MODULES: record,
      },
      { built: true, nodeArgs: ["--import", RECORDER.href] },
    );
    onTestFinished(async () => {
      if (kernel.child.exitCode === null) kernel.child.kill("SIGKILL");
      await kernel.exited;
    });
    await eventually(async () => ((await fetch(`${kernel.url}/health/ready`)).ok ? true : undefined));
    const status = await kernel.json<{ interop: { a2a: Array<{ state: string }> } }>("GET", "/api/status");
    expect(status.interop.a2a).toEqual([expect.objectContaining({ state: "ready" })]);
    const atRest = readRecord(record);
    expect(atRest.packages.has("@oxios/tools")).toBe(true);
    expect(atRest.packages.has("@oxios/runtime")).toBe(true);
    expect(lazy.filter((name) => atRest.packages.has(name))).toEqual([]);

    // The first model call loads the configured model's provider, and only that one.
    const run = async (goal: string) => {
      const { taskId } = await kernel.json<{ taskId: string }>("POST", "/api/runs", { goal });
      return eventually(async () => {
        const found = await kernel.json<{ status: string; toolCalls?: Array<{ name: string; ok: boolean }> }>(
          "GET",
          `/api/runs/${taskId}`,
        );
        return ["completed", "failed", "cancelled"].includes(found.status) ? found : undefined;
      });
    };
    expect(await run("hello")).toMatchObject({ status: "completed" });
    const afterModel = readRecord(record);
    expect(lazy.filter((name) => afterModel.packages.has(name))).toEqual(["@ai-sdk/openai-compatible"]);

    // The first requests to the card (two at once, one load) and to /a2a load the SDK's server side.
    const cards = await Promise.all([1, 2].map(() => fetch(`${kernel.url}/.well-known/agent-card.json`)));
    expect(cards.map((card) => card.status)).toEqual([200, 200]);
    const [first, second] = await Promise.all(cards.map((card) => card.json() as Promise<{ name: string }>));
    expect(first).toMatchObject({ name: "oxios" });
    expect(second).toEqual(first);
    const rpc = await kernel.request(
      "POST",
      "/a2a",
      { jsonrpc: "2.0", id: 7, method: "GetTask", params: { id: "x" } },
      { "a2a-version": "1.0" },
    );
    expect(await rpc.json()).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32001 } });
    const afterServer = readRecord(record);
    expect(afterServer.packages.has("jose")).toBe(true);
    expect(sdkSide(afterServer.files, "server")).toBe(true);
    expect(sdkSide(afterServer.files, "client")).toBe(false);

    // The first a2a_send loads the client side.
    expect(await run("SEND")).toMatchObject({ status: "completed", toolCalls: [{ name: "a2a_send", ok: true }] });
    expect(sdkSide(readRecord(record).files, "client")).toBe(true);
    expect(lazy.filter((name) => readRecord(record).packages.has(name))).toEqual([
      "@a2a-js/sdk",
      "jose",
      "@ai-sdk/openai-compatible",
    ]);
  });

  it("a kernel at rest in an existing home loads no isomorphic-git; a new home's boot and the first git request do", async () => {
    const isGit = (name: string) => name === "isomorphic-git" || name === "pako";
    const home = tempHome();
    const boot = async (record: string) => {
      const kernel = await startKernel(
        home,
        { OXIOS_RECORD_MODULES: record },
        { built: true, nodeArgs: ["--import", RECORDER.href] },
      );
      onTestFinished(async () => {
        if (kernel.child.exitCode === null) kernel.child.kill("SIGKILL");
        await kernel.exited;
      });
      await eventually(async () => ((await fetch(`${kernel.url}/health/ready`)).ok ? true : undefined));
      return kernel;
    };
    // A new home: boot initialises the state repository and commits its .gitignore.
    const created = await boot(join(home, "modules-new-home.txt"));
    expect(readRecord(join(home, "modules-new-home.txt")).packages.has("isomorphic-git")).toBe(true);
    created.child.kill("SIGTERM");
    expect(await created.exited).toEqual({ code: 0, signal: null });

    // The same home again: the state repository is opened without isomorphic-git.
    const record = join(home, "modules-existing-home.txt");
    const kernel = await boot(record);
    const atRest = readRecord(record);
    expect(atRest.packages.has("@oxios/state-store")).toBe(true);
    expect([...atRest.packages].filter(isGit)).toEqual([]);

    // The first request that reads the history loads it.
    const { commits } = await kernel.json<{ commits: Array<{ message: string }> }>("GET", "/api/git/log");
    expect(commits.map((commit) => commit.message)).toContain("state: initialise repository");
    expect([...readRecord(record).packages].filter(isGit).sort()).toEqual(["isomorphic-git", "pako"]);
  });

  it("doctor loads libsql and memory (the recorder sees the heavy path)", async () => {
    const env = { OXIOS_HOME: tempHome(), OXIOS_PORT: String(await freePort()), OXIOS_EMBEDDER: "hashing" };
    const doctor = await runRecorded(["doctor"], env);
    expect(doctor.stdout).toMatch(/ok\s+sqlite-vec/);
    expect(beyond(doctor, THIN_PACKAGES)).toEqual(
      expect.arrayContaining(["@oxios/database", "@oxios/memory", "libsql"]),
    );
  });
});
