import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfigValue } from "./config.ts";

function home(toml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "oxios-config-"));
  if (toml !== undefined) writeFileSync(join(dir, "config.toml"), toml);
  return dir;
}

describe("loadConfig", () => {
  it("defaults: 127.0.0.1:4200, the demo model without a key, ~/.oxios under HOME", () => {
    const config = loadConfig({ HOME: "/home/ana" });
    expect(config).toMatchObject({
      home: "/home/ana/.oxios",
      host: "127.0.0.1",
      port: 4200,
      model: "demo",
      maxConcurrent: 5,
    });
  });

  it("one variable family for the model: OXIOS_MODEL, OXIOS_LLM_API_KEY, else the provider's own key", () => {
    const dir = home();
    expect(loadConfig({ OXIOS_HOME: dir })).toMatchObject({
      model: "demo",
      modelSource: "the default without a key",
      llmApiKey: undefined,
    });
    expect(loadConfig({ OXIOS_HOME: dir, OXIOS_LLM_API_KEY: "sk-mine" })).toMatchObject({
      model: "openai/gpt-4o-mini",
      llmApiKey: "sk-mine",
      llmApiKeySource: "OXIOS_LLM_API_KEY",
    });
    expect(loadConfig({ OXIOS_HOME: dir, OPENAI_API_KEY: "sk-openai" })).toMatchObject({
      model: "openai/gpt-4o-mini",
      modelSource: "the default with OPENAI_API_KEY",
      llmApiKey: "sk-openai",
      llmApiKeySource: "OPENAI_API_KEY",
    });
    expect(loadConfig({ OXIOS_HOME: dir, ANTHROPIC_API_KEY: "sk-ant" })).toMatchObject({
      model: "anthropic/claude-haiku-4-5",
      modelSource: "the default with ANTHROPIC_API_KEY",
      llmApiKey: "sk-ant",
      llmApiKeySource: "ANTHROPIC_API_KEY",
    });
    // The provider's own key goes with that provider only; OXIOS_LLM_API_KEY wins over it.
    expect(
      loadConfig({ OXIOS_HOME: dir, OXIOS_MODEL: "anthropic/claude-sonnet-4-5", OPENAI_API_KEY: "sk-openai" }),
    ).toMatchObject({ llmApiKey: undefined, modelSource: "set by OXIOS_MODEL" });
    expect(
      loadConfig({ OXIOS_HOME: dir, OXIOS_MODEL: "openai/gpt-4o", OXIOS_LLM_API_KEY: "sk-mine", OPENAI_API_KEY: "x" }),
    ).toMatchObject({ llmApiKey: "sk-mine", llmApiKeySource: "OXIOS_LLM_API_KEY" });
    expect(loadConfig({ OXIOS_HOME: dir, OXIOS_MODEL: "ollama/llama3.2", OPENAI_API_KEY: "x" })).toMatchObject({
      model: "ollama/llama3.2",
      llmApiKey: undefined,
    });
  });

  it("says that OXIOS_LLM_MODEL is not read, and which model is", () => {
    const config = loadConfig({ OXIOS_HOME: home(), OXIOS_LLM_MODEL: "ollama/llama3.2" });
    expect(config.model).toBe("demo");
    expect(config.notices).toEqual(["OXIOS_LLM_MODEL is not read: the model is set with OXIOS_MODEL (now demo)"]);
  });

  it("database_url: oxios.db in the home by default, another file, or a sqld URL with its token", () => {
    const dir = home();
    expect(loadConfig({ OXIOS_HOME: dir })).toMatchObject({
      databaseUrl: `file://${join(dir, "oxios.db")}`,
      databaseAuthToken: undefined,
    });
    expect(loadConfig({ OXIOS_HOME: dir, OXIOS_DATABASE_URL: "/srv/oxios/shared db.db" }).databaseUrl).toBe(
      "file:///srv/oxios/shared%20db.db",
    );
    const served = home('database_url = "http://10.0.0.5:8080"\ndatabase_auth_token = "eyJ.a.b"\n');
    expect(loadConfig({ OXIOS_HOME: served })).toMatchObject({
      databaseUrl: "http://10.0.0.5:8080",
      databaseAuthToken: "eyJ.a.b",
    });
    expect(
      loadConfig({
        OXIOS_HOME: served,
        OXIOS_DATABASE_URL: "libsql://db.example.com",
        OXIOS_DATABASE_AUTH_TOKEN: "t2",
      }),
    ).toMatchObject({ databaseUrl: "libsql://db.example.com", databaseAuthToken: "t2" });
    for (const bad of ["ftp://x", "relative.db", "http://"]) {
      expect(() => loadConfig({ OXIOS_HOME: dir, OXIOS_DATABASE_URL: bad })).toThrowError(
        /OXIOS_DATABASE_URL must be a file: URL or an absolute path/,
      );
    }
    const secret = "not a token";
    expect(() => loadConfig({ OXIOS_HOME: dir, OXIOS_DATABASE_AUTH_TOKEN: secret })).toThrowError(/not shown/);
    try {
      loadConfig({ OXIOS_HOME: dir, OXIOS_DATABASE_AUTH_TOKEN: secret });
    } catch (error) {
      expect(JSON.stringify(error)).not.toContain(secret);
      expect((error as Error).message).not.toContain(secret);
    }
  });

  it("otel_endpoint and otel_headers: config.toml or OXIOS_OTEL_*, else the OpenTelemetry SDK's own variables", () => {
    const dir = home();
    expect(loadConfig({ OXIOS_HOME: dir })).toMatchObject({ otelEndpoint: undefined, otelHeaders: {} });
    const standard = {
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=k%3D1,Authorization=Bearer abc",
    };
    expect(loadConfig({ OXIOS_HOME: dir, ...standard })).toMatchObject({
      otelEndpoint: "http://collector:4318/",
      otelHeaders: { "x-api-key": "k=1", authorization: "Bearer abc" },
    });
    const configured = home('otel_endpoint = "http://jaeger:4318"\notel_headers = { "x-team" = "t1" }\n');
    expect(loadConfig({ OXIOS_HOME: configured, ...standard })).toMatchObject({
      otelEndpoint: "http://jaeger:4318/",
      otelHeaders: { "x-team": "t1" },
    });
    expect(
      loadConfig({ OXIOS_HOME: configured, ...standard, OXIOS_OTEL_ENDPOINT: "https://otel.example" }).otelEndpoint,
    ).toBe("https://otel.example/");
    expect(() => loadConfig({ OXIOS_HOME: dir, OXIOS_OTEL_ENDPOINT: "grpc://collector:4317" })).toThrowError(
      /OXIOS_OTEL_ENDPOINT must be the http\(s\):\/\/ base URL/,
    );
    const secret = "header-secret-value";
    const bad = () => loadConfig({ OXIOS_HOME: dir, OTEL_EXPORTER_OTLP_HEADERS: `no-equals-${secret}` });
    expect(bad).toThrowError(/OTEL_EXPORTER_OTLP_HEADERS must be a table/);
    expect(bad).toThrowError(expect.not.objectContaining({ message: expect.stringContaining(secret) }));
  });

  it("the environment overrides config.toml", () => {
    const dir = home('port = 5000\nmodel = "ollama/llama3"\nmax_concurrent = 2\n');
    const config = loadConfig({ OXIOS_HOME: dir, OXIOS_PORT: "6000", OXIOS_RATE_PER_MIN: "30" });
    expect(config).toMatchObject({ port: 6000, model: "ollama/llama3", maxConcurrent: 2, ratePerMinute: 30 });
  });

  it("names the key and the expected form on bad input", () => {
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_PORT: "http" })).toThrowError(/OXIOS_PORT must be an integer/);
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_PORT: "70000" })).toThrowError(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_MODEL: "gpt" })).toThrowError(/OXIOS_MODEL must be a model/);
    const dir = home("max_concurrent = 0\n");
    expect(() => loadConfig({ OXIOS_HOME: dir })).toThrowError(`max_concurrent in ${join(dir, "config.toml")} must be`);
    expect(() => loadConfig({ OXIOS_HOME: home("colour = 1\n") })).toThrowError(/unknown key "colour"/);
  });

  it("never repeats a secret's value in an error", () => {
    const short = "short-tok";
    const bad = () => loadConfig({ OXIOS_HOME: home(), OXIOS_API_TOKEN: `${short} x` });
    expect(bad).toThrowError(/OXIOS_API_TOKEN must be a string of at least 16 characters/);
    expect(bad).toThrowError(expect.not.objectContaining({ message: expect.stringContaining(short) }));
    const tokens = JSON.stringify({ "not a url": "peer-token-value-123" });
    const a2a = () => loadConfig({ OXIOS_HOME: home(), OXIOS_A2A_TOKENS: tokens });
    expect(a2a).toThrowError(/OXIOS_A2A_TOKENS must be a table/);
    expect(a2a).toThrowError(expect.not.objectContaining({ message: expect.stringContaining("peer-token-value-123") }));
    const mcp = () =>
      loadConfig({
        OXIOS_HOME: home('[mcp.servers.s]\ncommand = "x"\nenv = { GITHUB_TOKEN = 12345678901 }\n'),
      });
    expect(mcp).toThrowError(/mcp\.servers\.s\.env .*must be a table of strings, got a value that is not shown/);
    expect(mcp).toThrowError(expect.not.objectContaining({ message: expect.stringContaining("12345678901") }));
  });

  it("an invalid file names the file and the line", () => {
    const dir = home('host = "a"\nport = = 1\n');
    expect(() => loadConfig({ OXIOS_HOME: dir })).toThrowError(`${join(dir, "config.toml")}:2:`);
  });

  it("the API token can never be the LLM key", () => {
    const key = "sk-the-same-secret-value";
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_API_TOKEN: key, OXIOS_LLM_API_KEY: key })).toThrowError(
      /must not equal the LLM API key/,
    );
  });

  it("parseConfigValue validates `config set` values", () => {
    expect(parseConfigValue("port", "4300")).toBe(4300);
    expect(() => parseConfigValue("port", "x")).toThrowError(/port must be an integer/);
  });

  it("MCP servers come from [mcp.servers.<name>] tables, validated with the key named", () => {
    const dir = home(
      [
        "[mcp.servers.files]",
        'command = "node"',
        'args = ["server.js", "stdio"]',
        'env = { ROOT = "/srv" }',
        "",
        "[mcp.servers.remote]",
        'transport = "streamable-http"',
        'url = "https://mcp.example.com/mcp"',
        "request_timeout_ms = 5000",
        "enabled = false",
        "",
      ].join("\n"),
    );
    expect(loadConfig({ OXIOS_HOME: dir }).mcpServers).toEqual([
      {
        name: "files",
        enabled: true,
        transport: { type: "stdio", command: "node", args: ["server.js", "stdio"], env: { ROOT: "/srv" } },
      },
      {
        name: "remote",
        enabled: false,
        requestTimeoutMs: 5000,
        transport: { type: "streamable-http", url: "https://mcp.example.com/mcp", headers: {} },
      },
    ]);
    const bad = (toml: string) => () => loadConfig({ OXIOS_HOME: home(toml) });
    expect(bad('[mcp.servers.x]\ntransport = "carrier-pigeon"\n')).toThrowError(
      /mcp\.servers\.x\.transport in .* must be "stdio" or "streamable-http"/,
    );
    expect(bad("[mcp.servers.x]\nargs = []\n")).toThrowError(/mcp\.servers\.x\.command in .* must be the command/);
    expect(bad('[mcp.servers.x]\ntransport = "streamable-http"\nurl = "file:///etc"\n')).toThrowError(
      /mcp\.servers\.x\.url in .* must be an http\(s\) URL/,
    );
    expect(bad('[mcp.servers.x]\ncommand = "a"\nargs = "b"\n')).toThrowError(
      /mcp\.servers\.x\.args .* a list of strings/,
    );
    expect(bad('[mcp.servers.x]\ncommand = "a"\ncolour = 1\n')).toThrowError(/mcp\.servers\.x\.colour/);
    expect(bad('[mcp.servers."a b"]\ncommand = "a"\n')).toThrowError(/mcp\.servers\.a b in .* must be named/);
    expect(
      loadConfig({ OXIOS_HOME: home(), OXIOS_MCP_SERVERS: '{"e": {"command": "node", "args": ["s.js"]}}' }).mcpServers,
    ).toEqual([{ name: "e", enabled: true, transport: { type: "stdio", command: "node", args: ["s.js"], env: {} } }]);
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_MCP_SERVERS: "{nope" })).toThrowError(
      /OXIOS_MCP_SERVERS must be JSON/,
    );
  });

  it("remote A2A agents are http(s) URLs, from config.toml or a comma list in the environment", () => {
    expect(loadConfig({ OXIOS_HOME: home('a2a_agents = ["https://agent.example.com"]\n') }).a2aAgents).toEqual([
      "https://agent.example.com/",
    ]);
    expect(
      loadConfig({ OXIOS_HOME: home(), OXIOS_A2A_AGENTS: "http://127.0.0.1:9000, https://b.example.com/x" }).a2aAgents,
    ).toEqual(["http://127.0.0.1:9000/", "https://b.example.com/x"]);
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_A2A_AGENTS: "ftp://x" })).toThrowError(
      /OXIOS_A2A_AGENTS must be a list of http\(s\) base URLs/,
    );
  });

  it("bearer tokens for remote A2A agents come as a table keyed by base URL", () => {
    const config = loadConfig({
      OXIOS_HOME: home('a2a_agents = ["http://127.0.0.1:9000"]\n[a2a_tokens]\n"http://127.0.0.1:9000" = "oxt_peer"\n'),
    });
    expect(config.a2aTokens).toEqual({ "http://127.0.0.1:9000/": "oxt_peer" });
    expect(config.a2aAgents).toEqual(["http://127.0.0.1:9000/"]);
    expect(loadConfig({ OXIOS_HOME: home(), OXIOS_A2A_TOKENS: '{"https://b.example.com": "t"}' }).a2aTokens).toEqual({
      "https://b.example.com/": "t",
    });
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_A2A_TOKENS: '{"ftp://x": "t"}' })).toThrowError(
      /OXIOS_A2A_TOKENS must be a table of A2A agent base URL/,
    );
    expect(() =>
      loadConfig({ OXIOS_HOME: home(), OXIOS_A2A_TOKENS: '{"https://b.example.com": "two words"}' }),
    ).toThrowError(/OXIOS_A2A_TOKENS/);
  });

  it("the browser is on by default exactly when Chromium exists; on/off override it", () => {
    const missing = join(home(), "no-chromium");
    const auto = loadConfig({ OXIOS_HOME: home(), OXIOS_BROWSER_PATH: missing }).browser;
    expect(auto).toMatchObject({ setting: "auto", enabled: false });
    expect(auto.reason).toContain("not found");
    const present = loadConfig({ OXIOS_HOME: home(), OXIOS_BROWSER_PATH: process.execPath }).browser;
    expect(present).toMatchObject({ setting: "auto", enabled: true });
    expect(loadConfig({ OXIOS_HOME: home("browser = false\n") }).browser).toMatchObject({
      setting: "off",
      enabled: false,
    });
    expect(loadConfig({ OXIOS_HOME: home(), OXIOS_BROWSER: "on", OXIOS_BROWSER_PATH: missing }).browser.enabled).toBe(
      true,
    );
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_BROWSER: "sometimes" })).toThrowError(
      /OXIOS_BROWSER must be one of "auto"/,
    );
    expect(loadConfig({ OXIOS_HOME: home() }).agentNetwork).toBe(false);
    expect(parseConfigValue("agent_network", "on")).toBe(true);
  });

  it("exec: the sandbox is on unless exec_sandbox is exactly none; allowlist and read-only paths", () => {
    const defaults = loadConfig({ OXIOS_HOME: home() });
    expect(defaults).toMatchObject({ execSandbox: "auto", execBinaries: undefined, execReadOnlyPaths: [] });
    const file = home(
      'exec_sandbox = "none"\nexec_binaries = ["git", "node", "python3"]\nexec_read_only_paths = ["/opt/node"]\n',
    );
    expect(loadConfig({ OXIOS_HOME: file })).toMatchObject({
      execSandbox: "none",
      execBinaries: ["git", "node", "python3"],
      execReadOnlyPaths: ["/opt/node"],
    });
    expect(loadConfig({ OXIOS_HOME: home(), OXIOS_EXEC_BINARIES: "git, node" }).execBinaries).toEqual(["git", "node"]);
    for (const value of ["off", "false", "None"]) {
      expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_EXEC_SANDBOX: value })).toThrowError(
        /OXIOS_EXEC_SANDBOX must be "auto" .* or "none"/,
      );
    }
    expect(() => loadConfig({ OXIOS_HOME: home('exec_binaries = ["/bin/sh"]\n') })).toThrowError(/exec_binaries in/);
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_EXEC_READ_ONLY_PATHS: "relative/path" })).toThrowError(
      /OXIOS_EXEC_READ_ONLY_PATHS must be a list of absolute host paths/,
    );
  });
});
