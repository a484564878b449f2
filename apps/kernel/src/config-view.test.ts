import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, loadConfig } from "./config.ts";
import { configView, formatConfigValue } from "./config-view.ts";

const LLM_KEY = "sk-llm-secret-value-1";
const API_TOKEN = "api-token-secret-value-2";
const A2A_TOKEN = "a2a-token-secret-value-3";
const URL_PASSWORD = "url-password-secret-4";
const DATABASE_TOKEN = "database-token-secret-5";
const OTEL_KEY = "otel-header-secret-6";

function home(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "oxios-config-view-"));
  writeFileSync(join(dir, "config.toml"), toml);
  return dir;
}

describe("configView", () => {
  it("shows every config.toml key and the MCP servers by name", () => {
    const view = configView(loadConfig({ OXIOS_HOME: home("") }));
    expect(Object.keys(view).sort()).toEqual([...Object.keys(CONFIG_KEYS), "mcp_servers"].sort());
    expect(view).toMatchObject({ host: "127.0.0.1", port: 4200, model: "demo", llm_api_key: null, api_token: null });
  });

  it("never shows a secret: keys, tokens, passwords in URLs and MCP env/headers are only said to be set", () => {
    const dir = home(
      [
        `api_token = "${API_TOKEN}"`,
        `llm_base_url = "https://me:${URL_PASSWORD}@llm.example/v1"`,
        `a2a_agents = ["https://agent:${URL_PASSWORD}@peer.example"]`,
        `database_url = "https://db:${URL_PASSWORD}@sqld.example"`,
        `database_auth_token = "${DATABASE_TOKEN}"`,
        `otel_endpoint = "https://otel:${URL_PASSWORD}@collector.example:4318"`,
        `otel_headers = { "x-api-key" = "${OTEL_KEY}" }`,
        `[a2a_tokens]`,
        `"https://peer.example" = "${A2A_TOKEN}"`,
        `[mcp.servers.files]`,
        `command = "mcp-files"`,
        `env = { FILES_TOKEN = "${A2A_TOKEN}" }`,
        `[mcp.servers.remote]`,
        `transport = "streamable-http"`,
        `url = "https://mcp.example"`,
        `headers = { authorization = "Bearer ${API_TOKEN}" }`,
      ].join("\n"),
    );
    const view = configView(loadConfig({ OXIOS_HOME: dir, OXIOS_LLM_API_KEY: LLM_KEY }));
    const shown = [JSON.stringify(view), ...Object.values(view).map(formatConfigValue)].join("\n");
    for (const secret of [LLM_KEY, API_TOKEN, A2A_TOKEN, URL_PASSWORD, DATABASE_TOKEN, OTEL_KEY])
      expect(shown).not.toContain(secret);
    expect(view).toMatchObject({
      llm_api_key: "(set, from OXIOS_LLM_API_KEY)",
      api_token: "(set)",
      database_auth_token: "(set)",
      otel_endpoint: "https://***@collector.example:4318/",
      otel_headers: { "x-api-key": "(set)" },
      llm_base_url: "https://***@llm.example/v1",
      a2a_agents: ["https://***@peer.example/"],
      a2a_tokens: { "https://peer.example/": "(set)" },
      mcp_servers: ["files", "remote"],
    });
  });

  it("prints lists comma-separated, tables as key=value and unset as nothing", () => {
    expect(formatConfigValue(["a", "b"])).toBe("a,b");
    expect(formatConfigValue({ "https://x/": "(set)" })).toBe("https://x/=(set)");
    expect(formatConfigValue(null)).toBe("");
    expect(formatConfigValue(5)).toBe("5");
  });
});
