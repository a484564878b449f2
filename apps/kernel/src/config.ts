/**
 * Kernel configuration: `$OXIOS_HOME/config.toml` (flat keys) overridden by `OXIOS_*`
 * environment variables, validated with messages that name the key and the expected form.
 * An unreadable or invalid file is a `CONFIG_INVALID` naming the file (and line).
 */

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { KernelError } from "@oxios/core";
import { parse, TomlError } from "smol-toml";

export type EmbedderChoice = "use-lite" | "hashing" | "keyword-only";

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
}

interface KeySpec {
  env: string;
  form: string;
  parse(value: unknown): unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim().length > 0 ? value.trim() : undefined;
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
    form: 'a model as "provider/model" (openai, anthropic, openai-compatible, ollama) or "demo"',
    parse: (value) => {
      const model = text(value);
      return model === undefined || /^(demo(\/.*)?|(openai|anthropic|openai-compatible|ollama)\/.+)$/.test(model)
        ? model
        : undefined;
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
};

const DEFAULTS: Record<string, unknown> = {
  host: "127.0.0.1",
  port: 4200,
  max_concurrent: 5,
  rate_per_min: 600,
  http_rate_per_min: 1200,
  embedder: "use-lite",
  drain_timeout_ms: 20_000,
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
  let source: string;
  try {
    source = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return {};
    throw new KernelError("CONFIG_INVALID", `cannot read ${path}: ${code ?? String(error)}`, {
      cause: error,
      details: { file: path, osCode: code },
    });
  }
  try {
    return parse(source) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split("\n")[0];
      throw new KernelError("CONFIG_INVALID", `${path}:${error.line}:${error.column}: ${first}`, {
        cause: error,
        details: { file: path, line: error.line, column: error.column },
      });
    }
    throw error;
  }
}

function check(key: string, raw: unknown, where: string): unknown {
  const spec = CONFIG_KEYS[key] as KeySpec;
  const value = spec.parse(raw);
  if (value === undefined) {
    throw new KernelError("CONFIG_INVALID", `${where} must be ${spec.form}, got ${JSON.stringify(raw)}`, {
      details: { key, value: raw },
    });
  }
  return value;
}

/** The effective configuration: defaults ← config.toml ← environment. */
export function loadConfig(environment: Readonly<Record<string, string | undefined>>): KernelConfig {
  const home = oxiosHome(environment);
  const path = configPath(home);
  const file = readConfigFile(path);
  const values: Record<string, unknown> = { ...DEFAULTS };
  for (const [key, raw] of Object.entries(file)) {
    if (!(key in CONFIG_KEYS)) {
      throw new KernelError(
        "CONFIG_INVALID",
        `${path}: unknown key "${key}" (known: ${Object.keys(CONFIG_KEYS).join(", ")})`,
        { details: { file: path, key } },
      );
    }
    values[key] = check(key, raw, `${key} in ${path}`);
  }
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    const raw = environment[spec.env];
    if (raw !== undefined && raw !== "") values[key] = check(key, raw, spec.env);
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
  };
  if (config.apiToken !== undefined && config.apiToken === config.llmApiKey) {
    throw new KernelError("CONFIG_INVALID", "OXIOS_API_TOKEN must not equal the LLM API key", {
      details: { key: "api_token" },
    });
  }
  return config;
}

/** Validates one value for `oxios config set`; returns the TOML-ready value. */
export function parseConfigValue(key: string, raw: string): string | number {
  if (!(key in CONFIG_KEYS)) {
    throw new KernelError("CONFIG_INVALID", `unknown key "${key}" (known: ${Object.keys(CONFIG_KEYS).join(", ")})`, {
      details: { key },
    });
  }
  return check(key, raw, key) as string | number;
}
