/**
 * The commented config.toml `oxios init` writes: every key of `CONFIG_KEYS` with what it is
 * for, its environment variable and its default, commented out so the file changes nothing
 * until a line is uncommented. It is generated from the loader's own key table, so it cannot
 * drift from what `loadConfig` reads; a test parses it, and every line uncommented, with the
 * loader.
 */

import {
  CONFIG_KEYS,
  DEFAULT_ANTHROPIC_MODEL,
  DEFAULT_OLLAMA_URL,
  DEFAULT_OPENAI_MODEL,
  type KeySpec,
} from "./config.ts";

/** A value as TOML on one line (tables inline, so a key after it stays a top-level key). */
export function tomlValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)} = ${tomlValue(item)}`);
    return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
  }
  throw new TypeError(`no TOML form for ${String(value)}`);
}

function keyBlock(key: string, spec: KeySpec): string[] {
  const shown = spec.default !== undefined ? spec.default : spec.example;
  const defaultText = spec.defaultText ?? tomlValue(spec.default);
  const lines = [`# ${spec.description}`, `# env ${spec.env} · default ${defaultText}`];
  lines.push(
    spec.default !== undefined
      ? `# ${key} = ${tomlValue(shown)}`
      : `# ${key} = ${tomlValue(shown)}   # an example: there is no such default`,
  );
  return lines;
}

/** The text of the commented config.toml. */
export function configTemplate(): string {
  const header = [
    "# Oxios configuration ($OXIOS_HOME/config.toml, written by `oxios init`).",
    "# Every key is here with its default, commented out: uncomment a line to change it. The",
    "# environment variable named with each key wins over this file. `oxios config set KEY VALUE`",
    "# edits this file; `oxios doctor` checks the result.",
    "#",
    "# A real model in one step (keys are best kept in the environment, not in this file):",
    `#   OpenAI:     model = "${DEFAULT_OPENAI_MODEL}"          with OPENAI_API_KEY (or OXIOS_LLM_API_KEY)`,
    `#   Anthropic:  model = "${DEFAULT_ANTHROPIC_MODEL}"   with ANTHROPIC_API_KEY (or OXIOS_LLM_API_KEY)`,
    `#   Ollama:     model = "ollama/llama3.2"             no key; llm_base_url when it is not at ${DEFAULT_OLLAMA_URL}`,
    '#   any OpenAI-compatible server: model = "openai-compatible/<model>" with llm_base_url = "http://HOST:PORT/v1"',
    "#               (and llm_api_key when the server wants one)",
    "",
  ];
  const keys = Object.entries(CONFIG_KEYS).flatMap(([key, spec]) => [...keyBlock(key, spec), ""]);
  const mcp = [
    "# MCP servers: one [mcp.servers.<name>] table per server. Tables come after every key above.",
    "# OXIOS_MCP_SERVERS takes the same tables as JSON and replaces them.",
    "# [mcp.servers.everything]                 # a stdio server",
    '# command = "npx"',
    '# args = ["-y", "@modelcontextprotocol/server-everything", "stdio"]',
    '# env = { LOG_LEVEL = "info" }',
    "#",
    "# [mcp.servers.search]                     # a Streamable HTTP server",
    '# transport = "streamable-http"',
    '# url = "https://mcp.example.com/mcp"',
    '# headers = { authorization = "Bearer …" }',
    "# request_timeout_ms = 30000",
    "",
  ];
  return [...header, ...keys, ...mcp].join("\n");
}
