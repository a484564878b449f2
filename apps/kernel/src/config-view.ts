/**
 * The effective configuration by config.toml key, as `oxios config get` and `GET /api/config`
 * show it: every key with the value in force (defaults ← config.toml ← environment), secrets
 * never shown — only that they are set and where from.
 */

import type { KernelConfig } from "./config.ts";

export type ConfigValue = string | number | boolean | string[] | Record<string, string> | null;

/** What a secret shows as: that it is set (and where from), never its value. */
function secret(value: string | undefined, source?: string): string | null {
  if (value === undefined) return null;
  return source === undefined ? "(set)" : `(set, from ${source})`;
}

/** A URL as shown: a user name or password written into it replaced by `***`. */
function withoutCredentials(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username === "" && parsed.password === "") return url;
  parsed.username = "***";
  parsed.password = "";
  return parsed.href;
}

/** Every config.toml key with its value in force; secrets masked; unset keys `null`. */
export function configView(config: KernelConfig): Record<string, ConfigValue> {
  return {
    host: config.host,
    port: config.port,
    model: config.model,
    llm_base_url: config.llmBaseUrl === undefined ? null : withoutCredentials(config.llmBaseUrl),
    llm_api_key: secret(config.llmApiKey, config.llmApiKeySource),
    api_token: secret(config.apiToken),
    max_concurrent: config.maxConcurrent,
    rate_per_min: config.ratePerMinute,
    http_rate_per_min: config.httpRatePerMinute,
    embedder: config.embedder,
    drain_timeout_ms: config.drainTimeoutMs,
    max_resumes: config.maxResumes,
    run_retention_count: config.runRetentionCount,
    run_retention_days: config.runRetentionDays,
    keep_workspaces: config.keepWorkspaces,
    a2a_agents: config.a2aAgents.map(withoutCredentials),
    a2a_tokens: Object.fromEntries(Object.keys(config.a2aTokens).map((url) => [withoutCredentials(url), "(set)"])),
    browser: config.browser.setting,
    browser_path: config.browser.executablePath,
    agent_network: config.agentNetwork,
    exec_sandbox: config.execSandbox,
    exec_binaries: config.execBinaries ?? null,
    exec_read_only_paths: config.execReadOnlyPaths,
    database_url: withoutCredentials(config.databaseUrl),
    database_auth_token: secret(config.databaseAuthToken),
    otel_endpoint: config.otelEndpoint === undefined ? null : withoutCredentials(config.otelEndpoint),
    otel_headers: Object.fromEntries(Object.keys(config.otelHeaders).map((name) => [name, "(set)"])),
    node_id: config.nodeId,
    cluster_lease_ms: config.clusterLeaseMs,
    approval_timeout_ms: config.approvalTimeoutMs,
    approval_default: config.approvalDefault,
    mcp_servers: config.mcpServers.map((server) => server.name),
  };
}

/** One value as `config get` prints it: lists comma-separated, tables as `key=value` pairs, unset as nothing. */
export function formatConfigValue(value: ConfigValue | undefined): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "object") {
    return Object.entries(value)
      .map(([key, item]) => `${key}=${item}`)
      .join(",");
  }
  return String(value);
}
