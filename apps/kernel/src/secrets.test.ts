import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, loadConfig } from "./config.ts";
import { kernelRedactor, kernelSecrets } from "./secrets.ts";

describe("the kernel's secrets", () => {
  const config = {
    llmApiKey: "sk-llm-0123456789",
    a2aTokens: { "https://peer.example/": "Bearer peer-token-0123" },
    otelHeaders: { "x-honeycomb-team": "hc-team-key-0123" },
    mcpServers: [
      {
        name: "gh",
        enabled: true,
        transport: {
          type: "stdio" as const,
          command: "x",
          args: [],
          env: { GITHUB_TOKEN: "ghp_abcdef012345", ROOT: "/srv/data/x" },
        },
      },
      {
        name: "search",
        enabled: true,
        transport: {
          type: "streamable-http" as const,
          url: "https://mcp.example/",
          headers: { Authorization: "Bearer mcp-bearer-0123", accept: "application/json" },
        },
      },
    ],
  };
  const environment = {
    DEPLOY_SECRET: "deploy-secret-value",
    HOME: "/home/someone",
    KEYWORDS: "agent-operating-system",
  };

  it("are the token, the LLM key, A2A tokens, MCP credentials and secret-named variables", () => {
    const secrets = kernelSecrets({ config, apiToken: "oxt_api-token-0123456789", environment });
    expect(secrets).toEqual(
      expect.arrayContaining([
        { label: "api-token", value: "oxt_api-token-0123456789" },
        { label: "llm-api-key", value: "sk-llm-0123456789" },
        { label: "a2a-token", value: "Bearer peer-token-0123" },
        { label: "a2a-token", value: "peer-token-0123" },
        { label: "mcp:gh", value: "ghp_abcdef012345" },
        { label: "mcp:search", value: "mcp-bearer-0123" },
        { label: "otel-header", value: "hc-team-key-0123" },
        { label: "env:DEPLOY_SECRET", value: "deploy-secret-value" },
      ]),
    );
    const values = secrets.map((secret) => secret.value);
    for (const plain of ["/srv/data/x", "application/json", "/home/someone", "agent-operating-system"]) {
      expect(values).not.toContain(plain);
    }
  });

  it("are all redacted by the kernel's redactor", () => {
    const redactor = kernelRedactor({ config, apiToken: "oxt_api-token-0123456789", environment });
    const text = "oxt_api-token-0123456789 sk-llm-0123456789 peer-token-0123 ghp_abcdef012345 deploy-secret-value";
    expect(redactor.redact(text)).toBe(
      "[redacted:api-token] [redacted:llm-api-key] [redacted:a2a-token] [redacted:mcp:gh] [redacted:env:DEPLOY_SECRET]",
    );
  });

  it("include every secret config key set only in config.toml (#15, #20)", () => {
    const home = mkdtempSync(join(tmpdir(), "oxios-secrets-"));
    writeFileSync(
      join(home, "config.toml"),
      [
        'llm_api_key = "sk-toml-llm-0123456789"',
        'api_token = "toml-api-token-0123456789"',
        'database_url = "http://10.0.0.5:8080"',
        'database_auth_token = "eyJtoml.database.token"',
        "[a2a_tokens]",
        '"https://peer.example" = "toml-a2a-token-0123"',
        "[otel_headers]",
        'authorization = "Bearer toml-otel-bearer-0123"',
        "",
      ].join("\n"),
    );
    const loaded = loadConfig({ OXIOS_HOME: home });
    const redactor = kernelRedactor({ config: loaded, apiToken: "oxt_generated-0123456789", environment: {} });
    const values = [
      "sk-toml-llm-0123456789",
      "toml-api-token-0123456789",
      "eyJtoml.database.token",
      "toml-a2a-token-0123",
      "toml-otel-bearer-0123",
    ];
    for (const value of values) expect(redactor.redact(`got ${value}`)).not.toContain(value);
    expect(redactor.redact("got eyJtoml.database.token")).toBe("got [redacted:config:database_auth_token]");
    // Every key marked secret is one the redactor took: a new secret key cannot be forgotten.
    const secretKeys = Object.entries(CONFIG_KEYS)
      .filter(([, spec]) => spec.secret === true)
      .map(([key]) => key);
    expect(secretKeys.sort()).toEqual([
      "a2a_tokens",
      "api_token",
      "database_auth_token",
      "llm_api_key",
      "otel_headers",
    ]);
    expect(new Set(loaded.secretValues.map((secret) => secret.key))).toEqual(new Set(secretKeys));
  });
});
