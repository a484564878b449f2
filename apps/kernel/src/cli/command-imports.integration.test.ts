/**
 * The import-graph guard of the `oxios` command: a thin command (help, version, daemon control
 * and the HTTP-client commands) loads no part of the kernel — no libsql, embedder, AI SDK, hono
 * or zod. Each command runs as the real bin (the built `dist/`) in a child process that records
 * every module it loads; the packages those modules belong to are compared with what the
 * command may load.
 */

import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it, onTestFinished } from "vitest";
import { BIN, eventually, freePort, tempHome } from "../__fixtures__/kernel-process.ts";

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
    child.once("close", (code) => {
      const urls = readFileSync(record, "utf8").split("\n");
      const files = urls.filter((url) => url.startsWith("file:")).map((url) => fileURLToPath(url));
      resolve({ code, stdout, stderr, packages: new Set(files.map(packageOf)) });
    });
  });
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

  it("doctor loads libsql and memory (the recorder sees the heavy path)", async () => {
    const env = { OXIOS_HOME: tempHome(), OXIOS_PORT: String(await freePort()), OXIOS_EMBEDDER: "hashing" };
    const doctor = await runRecorded(["doctor"], env);
    expect(doctor.stdout).toMatch(/ok\s+sqlite-vec/);
    expect(beyond(doctor, THIN_PACKAGES)).toEqual(
      expect.arrayContaining(["@oxios/database", "@oxios/memory", "libsql"]),
    );
  });
});
