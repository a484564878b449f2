import { describe, expect, it } from "vitest";
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
});
