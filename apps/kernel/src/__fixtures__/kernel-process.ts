/** Starts the real kernel as a child process on a free port with a temporary home. */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/oxios.mjs", import.meta.url));

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), "oxios-kernel-"));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

export interface KernelProcess {
  child: ChildProcess;
  url: string;
  token: string;
  home: string;
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  json<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export interface SpawnResult {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  /** Run the built `bin/oxios.mjs` (dist, about twice as fast to boot) instead of the sources under tsx. */
  built?: boolean;
  /** Node options before the entry, such as `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
}

/** This process's environment without the developer's own Oxios and model settings. */
export function cleanEnvironment(): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(OXIOS_|OPENAI_|ANTHROPIC_|OLLAMA_)/.test(name)) continue;
    environment[name] = value;
  }
  return environment;
}

/** Spawns `main.ts start --foreground` (or other args) without waiting for anything. */
export function spawnKernel(
  env: Record<string, string>,
  args = ["start", "--foreground"],
  options: SpawnOptions = {},
): SpawnResult {
  const entry = options.built === true ? [BIN] : ["--conditions=@oxios/source", "--import", "tsx", MAIN];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...entry, ...args], {
    env: { ...cleanEnvironment(), OXIOS_EMBEDDER: "hashing", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return { child, output: () => output, exited };
}

/** Starts a kernel and waits until it listens. */
export async function startKernel(
  home: string,
  env: Record<string, string> = {},
  options: SpawnOptions = {},
): Promise<KernelProcess> {
  const port = await freePort();
  const spawned = spawnKernel({ OXIOS_HOME: home, OXIOS_PORT: String(port), ...env }, undefined, options);
  const deadline = Date.now() + 60_000;
  let exitedEarly = false;
  void spawned.exited.then(() => {
    exitedEarly = true;
  });
  while (!/listening on (http:\/\/\S+)/.test(spawned.output())) {
    if (exitedEarly) throw new Error(`kernel exited during boot:\n${spawned.output()}`);
    if (Date.now() > deadline) throw new Error(`kernel did not start:\n${spawned.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const url = (/listening on (http:\/\/\S+)/.exec(spawned.output()) as RegExpExecArray)[1] as string;
  const token = env.OXIOS_API_TOKEN ?? readFileSync(join(home, "api-token"), "utf8").trim();
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return {
    ...spawned,
    url,
    token,
    home,
    request,
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await request(method, path, body);
      const parsed = (await response.json()) as T;
      if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(parsed)}`);
      return parsed;
    },
  };
}

/**
 * Polls `check` every 25 ms until it returns a value. The bound only turns a hang into a
 * readable failure just before the test's own 180 s timeout; it is not a speed requirement.
 */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 170_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
