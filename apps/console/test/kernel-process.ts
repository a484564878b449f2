/**
 * A real kernel for the browser tests: the built `oxios` (apps/kernel, which carries this
 * console's build in dist/console) started in the foreground on a free port with a temporary
 * home, its model the runtime's scripted FakeLlmServer.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const KERNEL_BIN = fileURLToPath(new URL("../../kernel/bin/oxios.mjs", import.meta.url));

export interface KernelProcess {
  url: string;
  token: string;
  home: string;
  output(): string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** This process's environment without the developer's own Oxios and model settings. */
function cleanEnvironment(): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(OXIOS_|OPENAI_|ANTHROPIC_|OLLAMA_)/.test(name)) continue;
    environment[name] = value;
  }
  return environment;
}

/** Starts the kernel and resolves once it prints the URL it listens on. */
export async function startKernel(options: { config: string; env: Record<string, string> }): Promise<KernelProcess> {
  const home = mkdtempSync(join(tmpdir(), "oxios-console-"));
  writeFileSync(join(home, "config.toml"), options.config, { mode: 0o600 });
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [KERNEL_BIN, "start", "--foreground"], {
    env: { ...cleanEnvironment(), OXIOS_HOME: home, OXIOS_PORT: String(port), ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then(() => reject(new Error(`the kernel exited during boot:\n${output}`)));
  });
  const url = await listening;
  const token = readFileSync(join(home, "api-token"), "utf8").trim();
  return {
    url,
    token,
    home,
    output: () => output,
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as T;
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
