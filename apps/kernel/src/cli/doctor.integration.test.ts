/**
 * `oxios doctor` and `oxios start` on each way a model setup goes wrong, through the real bin:
 * the cause and the fix, named — against the runtime's FakeLlmServer as an OpenAI-compatible
 * server (its model list at /v1/models, a key it checks) and a port nothing listens on.
 */

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { FakeLlmServer } from "@oxios/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cleanEnvironment, freePort, tempHome } from "../__fixtures__/kernel-process.ts";

const execFileAsync = promisify(execFile);

async function oxios(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args], {
      env: { ...cleanEnvironment(), OXIOS_HOME: tempHome(), OXIOS_EMBEDDER: "keyword-only", ...env },
    });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: `${failed.stdout}${failed.stderr}` };
  }
}

/** The `model` line of doctor's output and the `fix:` line under it, if any. */
function modelLines(output: string): string {
  const lines = output.split("\n");
  const index = lines.findIndex((line) => /^(ok {2}|FAIL) {2}model /.test(line));
  if (index === -1) throw new Error(`no model line in:\n${output}`);
  const next = lines[index + 1] ?? "";
  return /^\s+fix: /.test(next) ? `${lines[index]}\n${next.trim()}` : (lines[index] as string);
}

describe("oxios doctor: the model", () => {
  let fake: FakeLlmServer;
  beforeAll(async () => {
    fake = await FakeLlmServer.start({ apiKey: "sk-right", models: ["fake-small", "llama3.2:latest"] });
  });
  afterAll(async () => {
    await fake.close();
  });

  it("a keyed provider without a key: the variables to set", async () => {
    const { code, output } = await oxios(["doctor"], { OXIOS_MODEL: "openai/gpt-4o-mini" });
    expect(code).toBe(1);
    expect(modelLines(output)).toBe(
      "FAIL  model        the model openai/gpt-4o-mini needs an API key\n" +
        'fix: set OXIOS_LLM_API_KEY or OPENAI_API_KEY (or choose another model with OXIOS_MODEL, such as "ollama/llama3.2" or "demo")',
    );
  });

  it("the provider's own key is read, and a listed model passes", async () => {
    const { output } = await oxios(["doctor"], {
      OXIOS_MODEL: "openai/fake-small",
      OPENAI_API_KEY: "sk-right",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
    });
    expect(modelLines(output)).toBe(
      `ok    model        openai/fake-small at ${fake.baseUrl}, key from OPENAI_API_KEY (model listed)`,
    );
  });

  it("a key the server refuses: which variable to check", async () => {
    const { code, output } = await oxios(["doctor"], {
      OXIOS_MODEL: "openai-compatible/fake-small",
      OXIOS_LLM_API_KEY: "sk-wrong",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
    });
    expect(code).toBe(1);
    expect(modelLines(output)).toMatch(
      /FAIL {2}model {8}openai-compatible\/fake-small: \S+ refused the API key \(HTTP 401\)\nfix: check the key in OXIOS_LLM_API_KEY/,
    );
  });

  it("a model the server does not offer: what it offers instead", async () => {
    const { output } = await oxios(["doctor"], {
      OXIOS_MODEL: "openai-compatible/fake-huge",
      OXIOS_LLM_API_KEY: "sk-right",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
    });
    expect(modelLines(output)).toBe(
      `FAIL  model        openai-compatible/fake-huge: ${fake.baseUrl} does not offer the model "fake-huge" (it offers fake-small, llama3.2:latest)\n` +
        "fix: choose one it offers with OXIOS_MODEL=openai-compatible/<model>",
    );
  });

  it("Ollama: a pulled model passes by its short name; one not pulled says `ollama pull`", async () => {
    // The fake answers Ollama's OpenAI-compatible model list; Ollama wants no key.
    const keyless = await FakeLlmServer.start({ models: ["llama3.2:latest"] });
    try {
      const pulled = await oxios(["doctor"], { OXIOS_MODEL: "ollama/llama3.2", OXIOS_LLM_BASE_URL: keyless.baseUrl });
      expect(modelLines(pulled.output)).toBe(`ok    model        ollama/llama3.2 at ${keyless.baseUrl} (model listed)`);
      const missing = await oxios(["doctor"], { OXIOS_MODEL: "ollama/qwen3", OXIOS_LLM_BASE_URL: keyless.baseUrl });
      expect(modelLines(missing.output)).toContain("fix: pull it with `ollama pull qwen3`");
    } finally {
      await keyless.close();
    }
  });

  it("an unreachable base URL: connection refused, and how to start or point at the server", async () => {
    const closed = `http://127.0.0.1:${await freePort()}/v1`;
    const ollama = await oxios(["doctor"], { OXIOS_MODEL: "ollama/llama3.2", OXIOS_LLM_BASE_URL: closed });
    expect(modelLines(ollama.output)).toBe(
      `FAIL  model        ollama/llama3.2: cannot reach ${closed} (connection refused)\n` +
        "fix: start Ollama there (`ollama serve`), or fix OXIOS_LLM_BASE_URL",
    );
    const compatible = await oxios(["doctor"], { OXIOS_MODEL: "openai-compatible/x", OXIOS_LLM_BASE_URL: closed });
    expect(modelLines(compatible.output)).toContain("fix: start the server, or fix OXIOS_LLM_BASE_URL");
  });

  it("a base URL that is not the API's: the /v1 it probably lacks", async () => {
    const root = new URL(fake.baseUrl).origin;
    const { output } = await oxios(["doctor"], {
      OXIOS_MODEL: "openai-compatible/fake-small",
      OXIOS_LLM_API_KEY: "sk-right",
      OXIOS_LLM_BASE_URL: root,
    });
    expect(modelLines(output)).toContain(`${root}/models was not found (HTTP 404)`);
    expect(modelLines(output)).toContain(
      "fix: set OXIOS_LLM_BASE_URL to the API's base URL, which usually ends in /v1",
    );
  });

  it("OXIOS_LLM_MODEL, which is not read, gets a note", async () => {
    const { output } = await oxios(["doctor"], { OXIOS_LLM_MODEL: "ollama/llama3.2" });
    expect(output).toContain("note  OXIOS_LLM_MODEL is not read: the model is set with OXIOS_MODEL (now demo)");
    expect(modelLines(output)).toMatch(/^ok {4}model {8}demo/);
  });
});

describe("oxios start with a model that cannot work", () => {
  it("says so in one plain sentence and starts nothing", async () => {
    const home = tempHome();
    const { code, output } = await oxios(["start"], {
      OXIOS_HOME: home,
      OXIOS_PORT: String(await freePort()),
      OXIOS_MODEL: "anthropic/claude-haiku-4-5",
    });
    expect(code).toBe(1);
    expect(output).toBe(
      'oxios: the model anthropic/claude-haiku-4-5 needs an API key: set OXIOS_LLM_API_KEY or ANTHROPIC_API_KEY (or choose another model with OXIOS_MODEL, such as "ollama/llama3.2" or "demo")\n',
    );
    expect(existsSync(join(home, "oxios.pid"))).toBe(false);
  });

  it("a daemon that fails during boot: its own one-line reason and where the log is, not the log's tail", async () => {
    // Another program's HTTP server holds the port.
    const taken = createServer((_request, response) => response.writeHead(404).end());
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const home = tempHome();
      const { code, output } = await oxios(["start"], { OXIOS_HOME: home, OXIOS_PORT: String(port) });
      expect(code).toBe(1);
      expect(output).toBe(
        `oxios: port ${port} on 127.0.0.1 is already in use (set OXIOS_PORT or port in ${join(home, "config.toml")}) (log: ${join(home, "logs", "oxios.log")})\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("in the foreground, the same sentence and exit 1", async () => {
    const { code, output } = await oxios(["start", "--foreground"], {
      OXIOS_PORT: String(await freePort()),
      OXIOS_MODEL: "openai-compatible/qwen",
    });
    expect(code).toBe(1);
    expect(output.split("\n")[0]).toBe(
      "oxios: the model openai-compatible/qwen needs its server's URL: set OXIOS_LLM_BASE_URL, for example http://127.0.0.1:8000/v1",
    );
  });
});
