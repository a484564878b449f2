/**
 * Kernel configuration: `$OXIOS_HOME/config.toml` (flat keys, plus `[mcp.servers.<name>]`,
 * `[agents.<name>]` and `[schedules.<name>]` tables) overridden by `OXIOS_*` environment
 * variables, validated with messages that name the key and the expected form. An unreadable
 * or invalid file is a `CONFIG_INVALID` naming the file (and line).
 */

import { existsSync, readFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
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

/** The model without `model` when an OpenAI key is there (OXIOS_LLM_API_KEY or OPENAI_API_KEY). */
export const DEFAULT_OPENAI_MODEL = "openai/gpt-4o-mini";
/** The model without `model` when only ANTHROPIC_API_KEY is there. */
export const DEFAULT_ANTHROPIC_MODEL = "anthropic/claude-haiku-4-5";
/** Where `ollama/…` models are served unless `llm_base_url` says otherwise (Ollama's OpenAI-compatible API). */
export const DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434/v1";

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
  /** Why this model, as a phrase: `set by OXIOS_MODEL`, `the default with OPENAI_API_KEY`, … */
  modelSource: string;
  llmBaseUrl: string | undefined;
  /** `llm_api_key`, else the provider's own variable (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`). */
  llmApiKey: string | undefined;
  /** Where `llmApiKey` came from (a variable or file name, never the key). */
  llmApiKeySource: string | undefined;
  /** Things worth a line at boot and in `oxios doctor` (a variable that is set but not read). */
  notices: string[];
  /** An explicit API token (else the generated one in `$OXIOS_HOME/api-token`). */
  apiToken: string | undefined;
  /** Scheduler: runs admitted at once. */
  maxConcurrent: number;
  /** Scheduler: runs admitted per minute per model provider (in a cluster, across all the nodes). */
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
  /**
   * The database every store opens: `file:$OXIOS_HOME/oxios.db` unless `database_url` names
   * another file or a served one (sqld, `http(s)://` / `libsql://`).
   */
  databaseUrl: string;
  /** The token a served database asks for (`database_auth_token`); unused for a file. */
  databaseAuthToken: string | undefined;
  /**
   * The OTLP/HTTP endpoint traces are exported to (`otel_endpoint`, else the standard
   * `OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces`. Unset: no tracing.
   */
  otelEndpoint: string | undefined;
  /** Headers sent with every export (`otel_headers`, else `OTEL_EXPORTER_OTLP_HEADERS`): secrets. */
  otelHeaders: Record<string, string>;
  /**
   * This kernel's id among the nodes sharing a served database (`node_id`); default
   * `<hostname>:<port>`, so a node restarted on the same machine and port is the same node.
   */
  nodeId: string;
  /** How long a cluster node's leases last without a heartbeat (`cluster_lease_ms`). */
  clusterLeaseMs: number;
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
  /**
   * The value of every key marked `secret` in `CONFIG_KEYS`, from config.toml or the environment
   * (a table's values one by one): the kernel's redactor takes them all.
   */
  secretValues: ReadonlyArray<{ key: string; value: string }>;
}

/** One key of config.toml. */
export interface KeySpec {
  env: string;
  form: string;
  /** What the key is for, in one line (the commented config.toml of `oxios init` shows it). */
  description: string;
  /** The value used when neither config.toml nor the environment sets the key. */
  default?: unknown;
  /** Said instead of `default` where the default is computed (the model) or absent. */
  defaultText?: string;
  /** A value shown, commented out, in the generated config.toml where the key has no default. */
  example?: unknown;
  /**
   * The value is a credential (a string, or a table whose values are): an error about it never
   * repeats it, and every value in force reaches the kernel's redactor (`KernelConfig.secretValues`).
   */
  secret?: true;
  parse(value: unknown): unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim().length > 0 ? value.trim() : undefined;
}

/** A parser of a trimmed, non-empty string that matches `pattern` whole. */
function textMatching(pattern: RegExp): (value: unknown) => string | undefined {
  return (value) => {
    const matched = text(value);
    return matched !== undefined && pattern.test(matched) ? matched : undefined;
  };
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

/**
 * A TOML table of header name → value, or the OpenTelemetry environment form
 * `name=value,name2=value2` (values percent-encoded).
 */
function otlpHeaders(value: unknown): Record<string, string> | undefined {
  let entries: Array<[string, unknown]>;
  if (typeof value === "string") {
    entries = [];
    for (const pair of value.split(",")) {
      if (pair.trim() === "") continue;
      const at = pair.indexOf("=");
      if (at <= 0) return undefined;
      let decoded: string;
      try {
        decoded = decodeURIComponent(pair.slice(at + 1).trim());
      } catch {
        return undefined;
      }
      entries.push([pair.slice(0, at).trim(), decoded]);
    }
  } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    entries = Object.entries(value);
  } else {
    return undefined;
  }
  const headers: Record<string, string> = {};
  for (const [name, item] of entries) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || typeof item !== "string" || /[\r\n]/.test(item)) {
      return undefined;
    }
    headers[name.toLowerCase()] = item;
  }
  return headers;
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

/**
 * The keys of config.toml: their environment variables, the forms they accept, their defaults
 * and one line about each. `loadConfig` reads by it and `oxios init` writes the commented
 * config.toml from it, so the two cannot disagree.
 */
export const CONFIG_KEYS: Readonly<Record<string, KeySpec>> = {
  host: {
    env: "OXIOS_HOST",
    form: "a host name or IP address",
    description: "the address the HTTP API listens on; anything but loopback exposes it",
    default: "127.0.0.1",
    parse: text,
  },
  port: {
    env: "OXIOS_PORT",
    form: "an integer from 0 to 65535",
    description: "the port of the HTTP API",
    default: 4200,
    parse: integer(0, 65535),
  },
  model: {
    env: "OXIOS_MODEL",
    form: MODEL_FORM,
    description: "the language model agents use",
    defaultText: `"demo" without a key; "${DEFAULT_OPENAI_MODEL}" with OXIOS_LLM_API_KEY or OPENAI_API_KEY; "${DEFAULT_ANTHROPIC_MODEL}" with ANTHROPIC_API_KEY`,
    example: DEFAULT_OPENAI_MODEL,
    parse: (value) => {
      const model = text(value);
      return model === undefined || MODEL_SPEC.test(model) ? model : undefined;
    },
  },
  llm_base_url: {
    env: "OXIOS_LLM_BASE_URL",
    form: "an http(s) URL",
    description: "the model server's base URL: an OpenAI-compatible server, Ollama on another host, a proxy",
    defaultText: `the provider's own (ollama: ${DEFAULT_OLLAMA_URL})`,
    example: "http://127.0.0.1:8000/v1",
    parse: textMatching(/^https?:\/\/\S+$/),
  },
  llm_api_key: {
    secret: true,
    env: "OXIOS_LLM_API_KEY",
    form: "a non-empty string",
    description: "the model provider's API key; prefer the environment to this file",
    defaultText: "none; OPENAI_API_KEY or ANTHROPIC_API_KEY are read for those providers",
    example: "sk-…",
    parse: text,
  },
  api_token: {
    secret: true,
    env: "OXIOS_API_TOKEN",
    form: "a string of at least 16 characters without spaces",
    description: "the bearer token of the HTTP API (never the LLM key)",
    defaultText: "generated into $OXIOS_HOME/api-token",
    example: "a-long-random-token-of-your-own",
    parse: textMatching(/^\S{16,}$/),
  },
  max_concurrent: {
    env: "OXIOS_MAX_CONCURRENT",
    form: "an integer from 1 to 1024",
    description: "scheduler: agent runs admitted at once",
    default: 5,
    parse: integer(1, 1024),
  },
  rate_per_min: {
    env: "OXIOS_RATE_PER_MIN",
    form: "an integer from 1 to 1000000",
    description: "scheduler: agent runs admitted per minute",
    default: 600,
    parse: integer(1, 1_000_000),
  },
  http_rate_per_min: {
    env: "OXIOS_HTTP_RATE_PER_MIN",
    form: "an integer from 1 to 1000000",
    description: "HTTP requests per minute per API token",
    default: 1200,
    parse: integer(1, 1_000_000),
  },
  embedder: {
    env: "OXIOS_EMBEDDER",
    form: 'one of "use-lite", "hashing", "keyword-only"',
    description: "memory's embedder: USE lite (offline model), hashing (deterministic, for tests) or none",
    default: "use-lite",
    parse: (value) => (value === "use-lite" || value === "hashing" || value === "keyword-only" ? value : undefined),
  },
  drain_timeout_ms: {
    env: "OXIOS_DRAIN_TIMEOUT_MS",
    form: "an integer from 0 to 600000",
    description: "how long shutdown waits for running agent runs, in ms",
    default: 20_000,
    parse: integer(0, 600_000),
  },
  max_resumes: {
    env: "OXIOS_MAX_RESUMES",
    form: "an integer from 0 to 100",
    description: "how often one run continues from its journal after the kernel stopped mid-run",
    default: 3,
    parse: integer(0, 100),
  },
  run_retention_count: {
    env: "OXIOS_RUN_RETENTION_COUNT",
    form: "an integer from 1 to 10000000",
    description: "finished runs (and finished scheduler tasks) kept, newest first",
    default: 10_000,
    parse: integer(1, 10_000_000),
  },
  run_retention_days: {
    env: "OXIOS_RUN_RETENTION_DAYS",
    form: "an integer from 1 to 36500",
    description: "finished runs (and finished scheduler tasks) older than this many days are removed",
    default: 30,
    parse: integer(1, 36_500),
  },
  keep_workspaces: {
    env: "OXIOS_KEEP_WORKSPACES",
    form: "true or false",
    description: "keep a finished run's workspace (agents/<agentId>) instead of removing it with its agent",
    default: false,
    parse: flag,
  },
  a2a_agents: {
    env: "OXIOS_A2A_AGENTS",
    form: "a list of http(s) base URLs of A2A agents (comma-separated in the environment)",
    description: "remote A2A agents whose cards are fetched at boot",
    default: [],
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
    secret: true,
    env: "OXIOS_A2A_TOKENS",
    form: "a table of A2A agent base URL → bearer token (a JSON object in the environment)",
    description: "bearer tokens sent to remote A2A agents, by base URL (another Oxios kernel wants its API token)",
    default: {},
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
    description: "browser tools for agents (headless Chromium)",
    default: "auto",
    parse: (value) => {
      if (value === "auto") return "auto";
      const on = flag(value);
      return on === undefined ? undefined : on ? "on" : "off";
    },
  },
  browser_path: {
    env: "OXIOS_BROWSER_PATH",
    form: "the path of a Chromium executable",
    description: "the Chromium executable the browser tools start",
    default: DEFAULT_CHROMIUM,
    parse: text,
  },
  agent_network: {
    env: "OXIOS_AGENT_NETWORK",
    form: "true or false",
    description: "agents may use tools that reach the network (A2A, browser, HTTP MCP servers); exec gets the network",
    default: false,
    parse: flag,
  },
  exec_sandbox: {
    env: "OXIOS_EXEC_SANDBOX",
    form: '"auto" (bubblewrap on Linux, Seatbelt on macOS; exec is refused where it cannot start) or "none" (no sandbox)',
    description: "the OS sandbox every program an agent runs with exec runs in",
    default: "auto",
    parse: (value) => (value === "auto" || value === "none" ? value : undefined),
  },
  exec_binaries: {
    env: "OXIOS_EXEC_BINARIES",
    form: "a list of bare program names agents may exec, such as git, node, python3 (comma-separated in the environment)",
    description: "the programs agents may exec; replaces the default list",
    defaultText: "cat date diff echo false head ls pwd sort tail true uniq wc",
    example: ["git", "node", "python3", "cat", "ls"],
    parse: list((name) => /^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)),
  },
  database_url: {
    env: "OXIOS_DATABASE_URL",
    form: "a file: URL or an absolute path (embedded), or an http(s):// or libsql:// URL of a sqld server",
    description: "the one database every store opens: a file, or a sqld server",
    defaultText: "file:$OXIOS_HOME/oxios.db",
    example: "http://127.0.0.1:8080",
    parse: (value) => {
      const url = text(value);
      if (url === undefined) return undefined;
      if (url.startsWith("/")) return pathToFileURL(url).href;
      return /^(file:\S+|(https?|libsql):\/\/[^\s/]+\S*)$/.test(url) ? url : undefined;
    },
  },
  database_auth_token: {
    secret: true,
    env: "OXIOS_DATABASE_AUTH_TOKEN",
    form: "the token (a JWT) the database server accepts, without spaces",
    description: "the token a served database asks for; prefer the environment to this file",
    defaultText: "none (a file needs no token)",
    example: "eyJ…",
    parse: textMatching(/^\S+$/),
  },
  otel_endpoint: {
    env: "OXIOS_OTEL_ENDPOINT",
    form: "the http(s):// base URL of an OTLP/HTTP receiver (an OpenTelemetry collector, Jaeger); spans go to <URL>/v1/traces",
    description: "export a trace per direct run (run → model calls → tool calls) over OTLP; off when unset",
    defaultText: "none (no tracing; OTEL_EXPORTER_OTLP_ENDPOINT when set)",
    example: "http://127.0.0.1:4318",
    parse: httpUrl,
  },
  otel_headers: {
    secret: true,
    env: "OXIOS_OTEL_HEADERS",
    form: "a table of header name → value sent with every trace export (name=value,… in the environment)",
    description: "headers for the trace exporter, such as an API key of a hosted collector; secrets",
    defaultText: "none (OTEL_EXPORTER_OTLP_HEADERS when set)",
    example: { authorization: "Bearer …" },
    parse: otlpHeaders,
  },
  node_id: {
    env: "OXIOS_NODE_ID",
    form: "1 to 64 letters, digits, '.', '_', ':' or '-'",
    description: "this kernel's id among the nodes sharing a served database",
    defaultText: "<hostname>:<port>",
    example: "node-a",
    parse: textMatching(/^[A-Za-z0-9._:-]{1,64}$/),
  },
  cluster_lease_ms: {
    env: "OXIOS_CLUSTER_LEASE_MS",
    form: "an integer from 500 to 600000",
    description: "how long a cluster node's run leases last without its heartbeat; a dead node's runs move after this",
    default: 15_000,
    parse: integer(500, 600_000),
  },
  exec_read_only_paths: {
    env: "OXIOS_EXEC_READ_ONLY_PATHS",
    form: "a list of absolute host paths shown read-only inside the exec sandbox (comma-separated in the environment)",
    description: "host paths shown read-only inside the exec sandbox (a runtime installed outside /usr)",
    default: [],
    parse: list((path) => path.startsWith("/") && !path.split("/").includes("..")),
  },
  approval_timeout_ms: {
    env: "OXIOS_APPROVAL_TIMEOUT_MS",
    form: "an integer from 1000 to 86400000 (how long a call waits for an approval)",
    description: "how long a tool call that needs an operator's approval waits for one",
    default: 300_000,
    parse: integer(1_000, 86_400_000),
  },
  approval_default: {
    env: "OXIOS_APPROVAL_DEFAULT",
    form: '"reject" or "approve" (what nobody answering an approval in time means)',
    description: "the decision an approval nobody answers in time gets",
    default: "reject",
    parse: (value) => (value === "reject" || value === "approve" ? value : undefined),
  },
};

/** Tables of config.toml that are not flat keys. */
const TABLE_KEYS = ["mcp", "agents", "schedules"] as const;

const DEFAULTS: Record<string, unknown> = Object.fromEntries(
  Object.entries(CONFIG_KEYS)
    .filter(([, spec]) => spec.default !== undefined)
    .map(([key, spec]) => [key, spec.default]),
);

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
const SECRET_KEYS = new Set(
  Object.entries(CONFIG_KEYS)
    .filter(([, spec]) => spec.secret === true)
    .map(([key]) => key),
);

/** Every value in force of the keys marked `secret` (a table's values one by one), by key. */
function secretValuesOf(values: Readonly<Record<string, unknown>>): Array<{ key: string; value: string }> {
  const found: Array<{ key: string; value: string }> = [];
  for (const key of SECRET_KEYS) {
    const value = values[key];
    if (typeof value === "string") found.push({ key, value });
    else if (isTable(value)) {
      for (const item of Object.values(value)) if (typeof item === "string") found.push({ key, value: item });
    }
  }
  return found;
}

/** The OpenTelemetry SDK's standard variables, read when the kernel's own key is not set anywhere. */
const STANDARD_FALLBACKS: ReadonlyArray<readonly [key: string, variable: string]> = [
  ["otel_endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT"],
  ["otel_headers", "OTEL_EXPORTER_OTLP_HEADERS"],
];

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
  /** Where each value that is not a default came from, for messages. */
  const origins: Record<string, string> = {};
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
    origins[key] = `${key} in ${path}`;
  }
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    const raw = environment[spec.env];
    if (raw !== undefined && raw !== "") {
      values[key] = check(key, raw, spec.env);
      origins[key] = spec.env;
    }
  }
  for (const [key, variable] of STANDARD_FALLBACKS) {
    const raw = environment[variable];
    if (values[key] === undefined && raw !== undefined && raw !== "") {
      values[key] = check(key, raw, variable);
      origins[key] = variable;
    }
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
  const choice = chooseModel(values, origins, environment);
  const config: KernelConfig = {
    home,
    configPath: path,
    host: values.host as string,
    port: values.port as number,
    ...choice,
    llmBaseUrl: values.llm_base_url as string | undefined,
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
    databaseUrl: (values.database_url as string | undefined) ?? pathToFileURL(join(home, "oxios.db")).href,
    databaseAuthToken: values.database_auth_token as string | undefined,
    otelEndpoint: values.otel_endpoint as string | undefined,
    otelHeaders: (values.otel_headers as Record<string, string> | undefined) ?? {},
    nodeId: (values.node_id as string | undefined) ?? `${hostname()}:${values.port as number}`,
    clusterLeaseMs: values.cluster_lease_ms as number,
    approvalTimeoutMs: values.approval_timeout_ms as number,
    approvalDefault: values.approval_default as "reject" | "approve",
    agents,
    schedules,
    configLines: lines,
    secretValues: secretValuesOf(values),
  };
  if (config.apiToken !== undefined && config.apiToken === config.llmApiKey) {
    throw new KernelError(KernelErrorCode.configInvalid, "OXIOS_API_TOKEN must not equal the LLM API key", {
      details: { key: "api_token" },
    });
  }
  return config;
}

/** The provider's own key variable, read when `llm_api_key` is not set. */
export const PROVIDER_KEY_VARIABLES: Readonly<Record<string, string>> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
};

/**
 * The model and its key: `model` as configured, else the default for the key that is there
 * (`llm_api_key` or `OPENAI_API_KEY` → OpenAI, `ANTHROPIC_API_KEY` → Anthropic, none → demo);
 * the key is `llm_api_key`, else the provider's own variable.
 */
function chooseModel(
  values: Record<string, unknown>,
  origins: Record<string, string>,
  environment: Readonly<Record<string, string | undefined>>,
): Pick<KernelConfig, "model" | "modelSource" | "llmApiKey" | "llmApiKeySource" | "notices"> {
  const configuredKey = values.llm_api_key as string | undefined;
  const providerKey = (provider: string): { key: string; source: string } | undefined => {
    const variable = PROVIDER_KEY_VARIABLES[provider];
    const key = variable === undefined ? undefined : text(environment[variable]);
    return key === undefined ? undefined : { key, source: variable as string };
  };
  let model = values.model as string | undefined;
  let modelSource = `set by ${origins.model}`;
  if (model === undefined) {
    if (configuredKey !== undefined) {
      model = DEFAULT_OPENAI_MODEL;
      modelSource = `the default with ${origins.llm_api_key}`;
    } else if (providerKey("openai") !== undefined) {
      model = DEFAULT_OPENAI_MODEL;
      modelSource = "the default with OPENAI_API_KEY";
    } else if (providerKey("anthropic") !== undefined) {
      model = DEFAULT_ANTHROPIC_MODEL;
      modelSource = "the default with ANTHROPIC_API_KEY";
    } else {
      model = "demo";
      modelSource = "the default without a key";
    }
  }
  const provider = model.split("/")[0] as string;
  const fromProvider = configuredKey === undefined ? providerKey(provider) : undefined;
  const notices: string[] = [];
  if (text(environment.OXIOS_LLM_MODEL) !== undefined) {
    notices.push(`OXIOS_LLM_MODEL is not read: the model is set with OXIOS_MODEL (now ${model})`);
  }
  return {
    model,
    modelSource,
    llmApiKey: configuredKey ?? fromProvider?.key,
    llmApiKeySource: configuredKey !== undefined ? origins.llm_api_key : fromProvider?.source,
    notices,
  };
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
