import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_OLLAMA_BASE_URL } from "@oxios/runtime";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli/cli.ts";
import { parseCommandLine } from "./cli/command-line.ts";
import { CONFIG_KEYS, DEFAULT_OLLAMA_URL, loadConfig } from "./config.ts";
import { configTemplate } from "./config-template.ts";

function homeWith(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "oxios-init-"));
  writeFileSync(join(dir, "config.toml"), toml);
  return dir;
}

/** Every commented-out key line and MCP table line of the template, uncommented. */
function uncommentAll(template: string): string {
  return template
    .split("\n")
    .map((line) => (/^# ([a-z_]+ = |\[mcp\.)/.test(line) ? line.slice(2) : line))
    .join("\n");
}

describe("the config.toml of `oxios init`", () => {
  it("names every key of the loader's table with its variable and default", () => {
    const template = configTemplate();
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      expect(template, key).toMatch(new RegExp(`^# ${key} = `, "m"));
      expect(template, key).toContain(`# env ${spec.env} · default `);
      expect(template, key).toContain(`# ${spec.description}`);
    }
  });

  it("parses with the kernel's loader and changes nothing as written", () => {
    const environment = { HOME: "/nowhere" };
    const written = loadConfig({ ...environment, OXIOS_HOME: homeWith(configTemplate()) });
    const empty = loadConfig({ ...environment, OXIOS_HOME: homeWith("") });
    const paths = { home: "", configPath: "", databaseUrl: "" };
    expect({ ...written, ...paths }).toEqual({ ...empty, ...paths });
  });

  it("parses with every line uncommented, and each default it shows is the loader's default", () => {
    const dir = homeWith(uncommentAll(configTemplate()));
    const config = loadConfig({ OXIOS_HOME: dir });
    const empty = loadConfig({ OXIOS_HOME: homeWith("") });
    // The keys with a real default come out as if nothing were set.
    expect(config).toMatchObject({
      host: empty.host,
      port: empty.port,
      maxConcurrent: empty.maxConcurrent,
      ratePerMinute: empty.ratePerMinute,
      httpRatePerMinute: empty.httpRatePerMinute,
      embedder: empty.embedder,
      drainTimeoutMs: empty.drainTimeoutMs,
      agentNetwork: empty.agentNetwork,
      execSandbox: empty.execSandbox,
    });
    expect(config.browser.setting).toBe(empty.browser.setting);
    expect(config.browser.executablePath).toBe(empty.browser.executablePath);
    // The examples are valid values too, and a table value stays a top-level key (inline).
    expect(config.model).toBe("openai/gpt-4o-mini");
    expect(config.a2aAgents).toEqual([]);
    expect(config.a2aTokens).toEqual({});
    expect(config.execBinaries).toEqual(["git", "node", "python3", "cat", "ls"]);
    expect(config.mcpServers.map((server) => server.name)).toEqual(["everything", "search"]);
  });

  it("says where Ollama is by default, the same place the runtime goes", () => {
    expect(DEFAULT_OLLAMA_URL).toBe(DEFAULT_OLLAMA_BASE_URL);
    expect(configTemplate()).toContain(DEFAULT_OLLAMA_URL);
  });

  it("`oxios init` writes it 0600 once and leaves an existing file alone; --print only prints", async () => {
    const home = mkdtempSync(join(tmpdir(), "oxios-init-"));
    const io = () => {
      const written = { out: "", err: "" };
      return {
        written,
        io: {
          environment: { OXIOS_HOME: home },
          stdout: { write: (text: string) => (written.out += text) },
          stderr: { write: (text: string) => (written.err += text) },
          foreground: { command: "node", args: [] },
        },
      };
    };
    const first = io();
    expect(await runCli(parseCommandLine(["init"]), first.io)).toBe(0);
    const path = join(home, "config.toml");
    expect(first.written.out).toContain(`wrote ${path}`);
    expect(readFileSync(path, "utf8")).toBe(configTemplate());
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeFileSync(path, "port = 4300\n");
    const second = io();
    expect(await runCli(parseCommandLine(["init"]), second.io)).toBe(1);
    expect(second.written.err).toContain("already exists");
    expect(readFileSync(path, "utf8")).toBe("port = 4300\n");
    const printed = io();
    expect(await runCli(parseCommandLine(["init", "--print"]), printed.io)).toBe(0);
    expect(printed.written.out).toBe(configTemplate());
  });
});
