/**
 * Kernel configuration: `$OXIOS_HOME/config.toml` (flat keys, plus `[mcp.servers.<name>]`,
 * `[agents.<name>]` and `[schedules.<name>]` tables) overridden by `OXIOS_*` environment
 * variables, validated with messages that name the key and the expected form. An unreadable
 * or invalid file is a `CONFIG_INVALID` naming the file (and line).
 */

import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { KernelError } from "@oxios/core";
import { parse, TomlError } from "smol-toml";
import { type ConfigLines, configLines } from "./config-lines.ts";
import {
  type AgentProfileSetting,
  MODEL_FORM,
  MODEL_SPEC,
  parseAgentProfiles,
  parseScheduleSettings,
  type ScheduleSetting,
} from "./control-config.ts";
import { KernelErrorCode } from "./error-codes.ts";

export type EmbedderChoice = "use-lite" | "hashing" | "keyword-only";
export type BrowserChoice = "auto" | "on" | "off";
/** `auto`: the platform's OS sandbox for exec (refused where none can start); `none`: no sandbox. */
export type ExecSandboxChoice = "auto" | "none";

/** Where the browser looks for Chromium unless `browser_path` says otherwise. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** One `[mcp.servers.<name>]` table, in the shape `@oxios/tools/mcp` takes. */
export interface McpServerSetting {
  name: string;
  transport:
    | { type: "stdio"; command: string; args: string[]; env: Record<string, string>; cwd?: string }
    | { type: "streamable-http"; url: string; headers: Record<string, string> };
  enabled: boolean;
  requestTimeoutMs?: number;
}

export interface BrowserSetting {
  /** What the configuration asked for. */
  setting: BrowserChoice;
  /** Whether the kernel offers browser tools: `on`, or `auto` with Chromium present. */
  enabled: boolean;
  executablePath: string;
  /** Why it is on or off, for `oxios doctor` and the boot log. */
  reason: string;
}

export interface KernelConfig {
  home: string;
  configPath: string;
  host: string;
  port: number;
  /** Model spec `provider/model` or `demo`. */
  model: string;
  llmBaseUrl: string | undefined;
  llmApiKey: string | undefined;
  /** An explicit API token (else the generated one in `$OXIOS_HOME/api-token`). */
  apiToken: string | undefined;
  /** Scheduler: runs admitted at once. */
  maxConcurrent: number;
  /** Scheduler: runs admitted per minute. */
  ratePerMinute: number;
  /** HTTP: requests per minute per API token. */
  httpRatePerMinute: number;
  embedder: EmbedderChoice;
  /** Drain timeout of the scheduler at shutdown. */
  drainTimeoutMs: number;
  /** How often one run may continue from its journal after the kernel stopped mid-run. */
  maxResumes: number;
  /** Finished runs (and scheduler tasks) kept, newest first. */
  runRetentionCount: number;
  /** Finished runs (and scheduler tasks) older than this many days are removed. */
  runRetentionDays: number;
  /** Keep a finished run's workspace directory instead of removing it with its agent. */
  keepWorkspaces: boolean;
  /** MCP servers started at boot (`[mcp.servers.<name>]`, or `OXIOS_MCP_SERVERS` as JSON). */
  mcpServers: McpServerSetting[];
  /** Base URLs of remote A2A agents whose cards are fetched at boot. */
  a2aAgents: string[];
  /** Bearer tokens for remote A2A agents, by base URL (another Oxios kernel wants its API token). */
  a2aTokens: Record<string, string>;
  browser: BrowserSetting;
  /** Agents may use tools that reach the network (A2A, browser, Streamable HTTP MCP servers). */
  agentNetwork: boolean;
  /** The OS sandbox exec runs programs in; `none` only when asked for explicitly. */
  execSandbox: ExecSandboxChoice;
  /** The exec allowlist of agents (bare names); undefined keeps the tools' default list. */
  execBinaries: string[] | undefined;
  /** Host paths the exec sandbox shows read-only (a runtime installed outside /usr). */
  execReadOnlyPaths: string[];
  /** How long a tool call waits for an operator's approval. */
  approvalTimeoutMs: number;
  /** What nobody answering in time means. */
  approvalDefault: "reject" | "approve";
  /** Agent profiles (`[agents.<name>]`). */
  agents: AgentProfileSetting[];
  /** Scheduled goals (`[schedules.<name>]`). */
  schedules: ScheduleSetting[];
  /** The line of each key of config.toml, for errors found at boot. */
  configLines: ConfigLines;
}

interface KeySpec {
  env: string;
  form: string;
  parse(value: unknown): unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim().length > 0 ? value.trim() : undefined;
}

function flag(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return undefined;
  const word = value.trim().toLowerCase();
  if (["true", "on", "yes", "1"].includes(word)) return true;
  if (["false", "off", "no", "0"].includes(word)) return false;
  return undefined;
}

function httpUrl(value: unknown): string | undefined {
  const url = text(value);
  if (url === undefined || !/^https?:\/\/\S+$/.test(url)) return undefined;
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/** A TOML list, or a comma-separated list in the environment, each item passing `item`. */
function list(item: (value: string) => boolean) {
  return (value: unknown): string[] | undefined => {
    const items =
      typeof value === "string"
        ? value.split(",").map((entry) => entry.trim())
        : Array.isArray(value)
          ? value
          : undefined;
    if (items === undefined) return undefined;
    const kept = items.filter((entry) => entry !== "");
    return kept.every((entry) => typeof entry === "string" && item(entry)) ? (kept as string[]) : undefined;
  };
}

function integer(min: number, max: number) {
  return (value: unknown): number | undefined => {
    const number =
      typeof value === "number"
        ? value
        : typeof value === "string" && /^\d+$/.test(value.trim())
          ? Number(value)
          : Number.NaN;
    return Number.isInteger(number) && number >= min && number <= max ? number : undefined;
  };
}

/** The keys of config.toml, their environment variables and the forms they accept. */
export const CONFIG_KEYS: Record<string, KeySpec> = {
  host: { env: "OXIOS_HOST", form: "a host name or IP address", parse: text },
  port: { env: "OXIOS_PORT", form: "an integer from 0 to 65535", parse: integer(0, 65535) },
  model: {
    env: "OXIOS_MODEL",
    form: MODEL_FORM,
    parse: (value) => {
      const model = text(value);
      return model === undefined || MODEL_SPEC.test(model) ? model : undefined;
    },
  },
  llm_base_url: {
    env: "OXIOS_LLM_BASE_URL",
    form: "an http(s) URL",
    parse: (value) => {
      const url = text(value);
      return url !== undefined && /^https?:\/\/\S+$/.test(url) ? url : undefined;
    },
  },
  llm_api_key: { env: "OXIOS_LLM_API_KEY", form: "a non-empty string", parse: text },
  api_token: {
    env: "OXIOS_API_TOKEN",
    form: "a string of at least 16 characters without spaces",
    parse: (value) => {
      const token = text(value);
      return token !== undefined && /^\S{16,}$/.test(token) ? token : undefined;
    },
  },
  max_concurrent: { env: "OXIOS_MAX_CONCURRENT", form: "an integer from 1 to 1024", parse: integer(1, 1024) },
  rate_per_min: { env: "OXIOS_RATE_PER_MIN", form: "an integer from 1 to 1000000", parse: integer(1, 1_000_000) },
  http_rate_per_min: {
    env: "OXIOS_HTTP_RATE_PER_MIN",
    form: "an integer from 1 to 1000000",
    parse: integer(1, 1_000_000),
  },
  embedder: {
    env: "OXIOS_EMBEDDER",
    form: 'one of "use-lite", "hashing", "keyword-only"',
    parse: (value) => (value === "use-lite" || value === "hashing" || value === "keyword-only" ? value : undefined),
  },
  drain_timeout_ms: {
    env: "OXIOS_DRAIN_TIMEOUT_MS",
    form: "an integer from 0 to 600000",
    parse: integer(0, 600_000),
  },
  max_resumes: { env: "OXIOS_MAX_RESUMES", form: "an integer from 0 to 100", parse: integer(0, 100) },
  run_retention_count: {
    env: "OXIOS_RUN_RETENTION_COUNT",
    form: "an integer from 1 to 10000000",
    parse: integer(1, 10_000_000),
  },
  run_retention_days: {
    env: "OXIOS_RUN_RETENTION_DAYS",
    form: "an integer from 1 to 36500",
    parse: integer(1, 36_500),
  },
  keep_workspaces: { env: "OXIOS_KEEP_WORKSPACES", form: "true or false", parse: flag },
  a2a_agents: {
    env: "OXIOS_A2A_AGENTS",
    form: "a list of http(s) base URLs of A2A agents (comma-separated in the environment)",
    parse: (value) => {
      const items =
        typeof value === "string"
          ? value.split(",").map((item) => item.trim())
          : Array.isArray(value)
            ? value
            : undefined;
      if (items === undefined) return undefined;
      const urls = items.filter((item) => item !== "").map(httpUrl);
      return urls.every((url) => url !== undefined) ? urls : undefined;
    },
  },
  a2a_tokens: {
    env: "OXIOS_A2A_TOKENS",
    form: "a table of A2A agent base URL → bearer token (a JSON object in the environment)",
    parse: (value) => {
      let table: unknown = value;
      if (typeof value === "string") {
        try {
          table = JSON.parse(value);
        } catch {
          return undefined;
        }
      }
      if (typeof table !== "object" || table === null || Array.isArray(table)) return undefined;
      const tokens: Record<string, string> = {};
      for (const [url, token] of Object.entries(table)) {
        const base = httpUrl(url);
        if (base === undefined || typeof token !== "string" || !/^\S{1,4096}$/.test(token)) return undefined;
        tokens[base] = token;
      }
      return tokens;
    },
  },
  browser: {
    env: "OXIOS_BROWSER",
    form: 'one of "auto" (on when Chromium is installed), "on", "off"',
    parse: (value) => {
      if (value === "auto") return "auto";
      const on = flag(value);
      return on === undefined ? undefined : on ? "on" : "off";
    },
  },
  browser_path: { env: "OXIOS_BROWSER_PATH", form: "the path of a Chromium executable", parse: text },
  agent_network: {
    env: "OXIOS_AGENT_NETWORK",
    form: "true or false",
    parse: flag,
  },
  exec_sandbox: {
    env: "OXIOS_EXEC_SANDBOX",
    form: '"auto" (bubblewrap on Linux, Seatbelt on macOS; exec is refused where it cannot start) or "none" (no sandbox)',
    parse: (value) => (value === "auto" || value === "none" ? value : undefined),
  },
  exec_binaries: {
    env: "OXIOS_EXEC_BINARIES",
    form: "a list of bare program names agents may exec, such as git, node, python3 (comma-separated in the environment)",
    parse: list((name) => /^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)),
  },
  exec_read_only_paths: {
    env: "OXIOS_EXEC_READ_ONLY_PATHS",
    form: "a list of absolute host paths shown read-only inside the exec sandbox (comma-separated in the environment)",
    parse: list((path) => path.startsWith("/") && !path.split("/").includes("..")),
  },
  approval_timeout_ms: {
    env: "OXIOS_APPROVAL_TIMEOUT_MS",
    form: "an integer from 1000 to 86400000 (how long a call waits for an approval)",
    parse: integer(1_000, 86_400_000),
  },
  approval_default: {
    env: "OXIOS_APPROVAL_DEFAULT",
    form: '"reject" or "approve" (what nobody answering an approval in time means)',
    parse: (value) => (value === "reject" || value === "approve" ? value : undefined),
  },
};

/** Tables of config.toml that are not flat keys. */
const TABLE_KEYS = ["mcp", "agents", "schedules"] as const;

const DEFAULTS: Record<string, unknown> = {
  host: "127.0.0.1",
  port: 4200,
  max_concurrent: 5,
  rate_per_min: 600,
  http_rate_per_min: 1200,
  embedder: "use-lite",
  drain_timeout_ms: 20_000,
  max_resumes: 3,
  run_retention_count: 10_000,
  run_retention_days: 30,
  keep_workspaces: false,
  a2a_agents: [],
  a2a_tokens: {},
  browser: "auto",
  browser_path: DEFAULT_CHROMIUM,
  agent_network: false,
  exec_sandbox: "auto",
  exec_read_only_paths: [],
  approval_timeout_ms: 300_000,
  approval_default: "reject",
};

/** `$OXIOS_HOME`, else `~/.oxios` (under `HOME` when set). */
export function oxiosHome(environment: Readonly<Record<string, string | undefined>>): string {
  const home = text(environment.OXIOS_HOME);
  if (home !== undefined) return resolve(home);
  return join(text(environment.HOME) ?? homedir(), ".oxios");
}

export function configPath(home: string): string {
  return join(home, "config.toml");
}

/** Reads config.toml as a flat table; a missing file is an empty table. */
export function readConfigFile(path: string): Record<string, unknown> {
  return readConfigSource(path).table;
}

/** Reads config.toml: its table and the line of each key; a missing file is empty. */
export function readConfigSource(path: string): { table: Record<string, unknown>; lines: ConfigLines } {
  let source: string;
  try {
    source = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { table: {}, lines: new Map() };
    throw new KernelError(KernelErrorCode.configInvalid, `cannot read ${path}: ${code ?? String(error)}`, {
      cause: error,
      details: { file: path, osCode: code },
    });
  }
  try {
    return { table: parse(source) as Record<string, unknown>, lines: configLines(source) };
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split("\n")[0];
      throw new KernelError(KernelErrorCode.configInvalid, `${path}:${error.line}:${error.column}: ${first}`, {
        cause: error,
        details: { file: path, line: error.line, column: error.column },
      });
    }
    throw error;
  }
}

/** Keys whose values are secrets: an error about them never repeats the value. */
const SECRET_KEYS = new Set(["llm_api_key", "api_token", "a2a_tokens"]);

function invalid(where: string, form: string, raw: unknown, key: string): KernelError {
  const secret = SECRET_KEYS.has(key) || /\.(env|headers)( |$)/.test(where);
  const got = secret ? "a value that is not shown (it may be a secret)" : JSON.stringify(raw);
  return new KernelError(KernelErrorCode.configInvalid, `${where} must be ${form}, got ${got}`, {
    details: secret ? { key } : { key, value: raw },
  });
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function stringTable(value: unknown): Record<string, string> | undefined {
  if (!isTable(value)) return undefined;
  return Object.values(value).every((item) => typeof item === "string") ? (value as Record<string, string>) : undefined;
}

const MCP_FIELDS = new Set([
  "transport",
  "command",
  "args",
  "env",
  "cwd",
  "url",
  "headers",
  "enabled",
  "request_timeout_ms",
]);

/**
 * `[mcp.servers.<name>]` tables (or the same object as JSON in `OXIOS_MCP_SERVERS`): each
 * field is checked here so the message names `mcp.servers.<name>.<field>`.
 */
export function parseMcpServerSettings(raw: unknown, source: string): McpServerSetting[] {
  const at = (path: string) =>
    source === "OXIOS_MCP_SERVERS" ? `${path} in OXIOS_MCP_SERVERS` : `${path} in ${source}`;
  if (!isTable(raw)) throw invalid(at("mcp"), "a table with a `servers` table", raw, "mcp");
  const unknown = Object.keys(raw).filter((key) => key !== "servers");
  if (unknown.length > 0)
    throw invalid(at(`mcp.${unknown[0]}`), "absent (only mcp.servers is known)", raw[unknown[0] as string], "mcp");
  const servers = raw.servers ?? {};
  if (!isTable(servers)) throw invalid(at("mcp.servers"), "a table of servers by name", servers, "mcp.servers");
  return Object.entries(servers).map(([name, value]) => {
    const key = `mcp.servers.${name}`;
    if (!/^[a-zA-Z0-9_-]{1,32}$/.test(name)) {
      throw invalid(at(key), "named with 1–32 of [a-zA-Z0-9_-] (the name is part of tool names)", name, key);
    }
    if (!isTable(value)) throw invalid(at(key), "a table", value, key);
    for (const field of Object.keys(value)) {
      if (!MCP_FIELDS.has(field)) {
        throw invalid(at(`${key}.${field}`), `absent (known: ${[...MCP_FIELDS].join(", ")})`, value[field], key);
      }
    }
    const type = value.transport ?? (value.url === undefined ? "stdio" : "streamable-http");
    if (type !== "stdio" && type !== "streamable-http") {
      throw invalid(at(`${key}.transport`), '"stdio" or "streamable-http"', type, `${key}.transport`);
    }
    const enabled = value.enabled ?? true;
    if (typeof enabled !== "boolean") throw invalid(at(`${key}.enabled`), "true or false", enabled, `${key}.enabled`);
    let requestTimeoutMs: number | undefined;
    if (value.request_timeout_ms !== undefined) {
      requestTimeoutMs = integer(1, 3_600_000)(value.request_timeout_ms);
      if (requestTimeoutMs === undefined) {
        throw invalid(at(`${key}.request_timeout_ms`), "an integer from 1 to 3600000", value.request_timeout_ms, key);
      }
    }
    const common = { name, enabled, ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }) };
    if (type === "streamable-http") {
      const url = httpUrl(value.url);
      if (url === undefined) throw invalid(at(`${key}.url`), "an http(s) URL", value.url, `${key}.url`);
      const headers = value.headers === undefined ? {} : stringTable(value.headers);
      if (headers === undefined) throw invalid(at(`${key}.headers`), "a table of strings", value.headers, key);
      return { ...common, transport: { type, url, headers } };
    }
    const command = text(value.command);
    if (command === undefined) {
      throw invalid(at(`${key}.command`), "the command that starts the server", value.command, `${key}.command`);
    }
    const args = value.args ?? [];
    if (!Array.isArray(args) || !args.every((item) => typeof item === "string")) {
      throw invalid(at(`${key}.args`), "a list of strings", args, `${key}.args`);
    }
    const env = value.env === undefined ? {} : stringTable(value.env);
    if (env === undefined) throw invalid(at(`${key}.env`), "a table of strings", value.env, `${key}.env`);
    const cwd = value.cwd === undefined ? undefined : text(value.cwd);
    if (value.cwd !== undefined && cwd === undefined) {
      throw invalid(at(`${key}.cwd`), "a directory path", value.cwd, `${key}.cwd`);
    }
    return {
      ...common,
      transport: { type, command, args: args as string[], env, ...(cwd === undefined ? {} : { cwd }) },
    };
  });
}

/** `auto` is on exactly when the Chromium executable exists. */
export function resolveBrowser(setting: BrowserChoice, executablePath: string): BrowserSetting {
  if (setting === "off") return { setting, enabled: false, executablePath, reason: "off in the configuration" };
  const present = existsSync(executablePath);
  if (setting === "on") {
    return {
      setting,
      enabled: true,
      executablePath,
      reason: present
        ? `on (${executablePath})`
        : `on, but ${executablePath} is missing (calls fail BROWSER_UNAVAILABLE)`,
    };
  }
  return present
    ? { setting, enabled: true, executablePath, reason: `auto: on (${executablePath} found)` }
    : { setting, enabled: false, executablePath, reason: `auto: off (${executablePath} not found)` };
}

function check(key: string, raw: unknown, where: string): unknown {
  const spec = CONFIG_KEYS[key] as KeySpec;
  const value = spec.parse(raw);
  if (value === undefined) throw invalid(where, spec.form, raw, key);
  return value;
}

/** The effective configuration: defaults ← config.toml ← environment. */
export function loadConfig(environment: Readonly<Record<string, string | undefined>>): KernelConfig {
  const home = oxiosHome(environment);
  const path = configPath(home);
  const { table: file, lines } = readConfigSource(path);
  const values: Record<string, unknown> = { ...DEFAULTS };
  let mcpServers: McpServerSetting[] = [];
  const source = { file: path, lines };
  const agents = file.agents === undefined ? [] : parseAgentProfiles(file.agents, source);
  const schedules =
    file.schedules === undefined
      ? []
      : parseScheduleSettings(
          file.schedules,
          source,
          agents.map((agent) => agent.name),
        );
  for (const [key, raw] of Object.entries(file)) {
    if (key === "mcp") {
      mcpServers = parseMcpServerSettings(raw, path);
      continue;
    }
    if (key === "agents" || key === "schedules") continue;
    if (!(key in CONFIG_KEYS)) {
      throw new KernelError(
        KernelErrorCode.configInvalid,
        `${path}: unknown key "${key}" (known: ${[...Object.keys(CONFIG_KEYS), ...TABLE_KEYS].join(", ")})`,
        { details: { file: path, key } },
      );
    }
    values[key] = check(key, raw, `${key} in ${path}`);
  }
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    const raw = environment[spec.env];
    if (raw !== undefined && raw !== "") values[key] = check(key, raw, spec.env);
  }
  const mcpJson = environment.OXIOS_MCP_SERVERS;
  if (mcpJson !== undefined && mcpJson.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(mcpJson);
    } catch (error) {
      throw new KernelError(
        KernelErrorCode.configInvalid,
        'OXIOS_MCP_SERVERS must be JSON like {"name": {"command": "…", "args": []}}',
        { cause: error, details: { key: "mcp.servers" } },
      );
    }
    mcpServers = parseMcpServerSettings({ servers: parsed }, "OXIOS_MCP_SERVERS");
  }
  const apiKey = values.llm_api_key as string | undefined;
  const model = (values.model as string | undefined) ?? (apiKey === undefined ? "demo" : "openai/gpt-4o-mini");
  const config: KernelConfig = {
    home,
    configPath: path,
    host: values.host as string,
    port: values.port as number,
    model,
    llmBaseUrl: values.llm_base_url as string | undefined,
    llmApiKey: apiKey,
    apiToken: values.api_token as string | undefined,
    maxConcurrent: values.max_concurrent as number,
    ratePerMinute: values.rate_per_min as number,
    httpRatePerMinute: values.http_rate_per_min as number,
    embedder: values.embedder as EmbedderChoice,
    drainTimeoutMs: values.drain_timeout_ms as number,
    maxResumes: values.max_resumes as number,
    runRetentionCount: values.run_retention_count as number,
    runRetentionDays: values.run_retention_days as number,
    keepWorkspaces: values.keep_workspaces as boolean,
    mcpServers,
    a2aAgents: values.a2a_agents as string[],
    a2aTokens: values.a2a_tokens as Record<string, string>,
    browser: resolveBrowser(values.browser as BrowserChoice, values.browser_path as string),
    agentNetwork: values.agent_network as boolean,
    execSandbox: values.exec_sandbox as ExecSandboxChoice,
    execBinaries: values.exec_binaries as string[] | undefined,
    execReadOnlyPaths: values.exec_read_only_paths as string[],
    approvalTimeoutMs: values.approval_timeout_ms as number,
    approvalDefault: values.approval_default as "reject" | "approve",
    agents,
    schedules,
    configLines: lines,
  };
  if (config.apiToken !== undefined && config.apiToken === config.llmApiKey) {
    throw new KernelError(KernelErrorCode.configInvalid, "OXIOS_API_TOKEN must not equal the LLM API key", {
      details: { key: "api_token" },
    });
  }
  return config;
}

/** Validates one value for `oxios config set`; returns the TOML-ready value. */
export function parseConfigValue(key: string, raw: string): string | number | boolean | string[] {
  if (!(key in CONFIG_KEYS)) {
    throw new KernelError(
      KernelErrorCode.configInvalid,
      `unknown key "${key}" (known: ${Object.keys(CONFIG_KEYS).join(", ")})`,
      {
        details: { key },
      },
    );
  }
  return check(key, raw, key) as string | number | boolean | string[];
}
