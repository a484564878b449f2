/**
 * The control-plane tables of config.toml: agent profiles (`[agents.<name>]`) and scheduled
 * goals (`[schedules.<name>]`). Everything that can be checked without the kernel's modules
 * is checked here, when the file is loaded (also by the thin CLI): known fields, their types,
 * roles, templates, model specs, exec names, a schedule's profile. What needs the modules —
 * tool names, cron expressions and time zones, model keys, skills folders — is checked at
 * boot by `control-plane.ts`, before anything runs. Every refusal is `CONFIG_INVALID` naming
 * the file, the line and the key.
 */

import { KernelError } from "@oxios/core";
import { type ConfigLines, lineOf } from "./config-lines.ts";
import { KernelErrorCode } from "./error-codes.ts";

export type ProfileRole = "user" | "superuser" | "admin";
export type ProfileTemplate = "worker" | "standard" | "operator" | "supervisor";

export const PROFILE_ROLES: readonly ProfileRole[] = ["user", "superuser", "admin"];
export const PROFILE_TEMPLATES: readonly ProfileTemplate[] = ["worker", "standard", "operator", "supervisor"];

/** `provider/model` (openai, anthropic, openai-compatible, ollama) or `demo`. */
export const MODEL_SPEC = /^(demo(\/.*)?|(openai|anthropic|openai-compatible|ollama)\/.+)$/;
export const MODEL_FORM = 'a model as "provider/model" (openai, anthropic, openai-compatible, ollama) or "demo"';
const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const BINARY = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const TOOL_PATTERN = /^[A-Za-z0-9_*?-]{1,64}$/;

/** One `[agents.<name>]` table, checked. */
export interface AgentProfileSetting {
  name: string;
  description?: string;
  systemPrompt?: string;
  model?: string;
  fallbackModels: string[];
  role?: ProfileRole;
  template?: ProfileTemplate;
  /** The exec allowlist (bare names); absent: the kernel's `exec_binaries`. */
  execAllow?: string[];
  /** Extra read/write roots (absolute, or relative to the workspace; globs). */
  paths: string[];
  /** Absent: the kernel's `agent_network`. */
  network?: boolean;
  tools?: { allow?: string[]; deny?: string[] };
  approvalRequired: string[];
  tokenBudget?: { tokens?: number; calls?: number; window: "hour" | "day" };
  maxConcurrent?: number;
  workspace: "persistent" | "per-run";
  /** Skills folders (a skill, or a folder of skills), besides `$OXIOS_HOME/skills`. */
  skills: string[];
}

/** One `[schedules.<name>]` table; cron, time zone and interval are checked at boot. */
export interface ScheduleSetting {
  name: string;
  cron?: string;
  every?: string;
  timezone?: string;
  goal: string;
  agent?: string;
  missed?: string;
  overlap?: string;
  enabled?: boolean;
}

/** Where an error is: the file and its key lines. */
export interface ConfigSource {
  file: string;
  lines: ConfigLines;
}

/** `CONFIG_INVALID` naming `file:line: key` and what was wrong. */
export function configError(source: ConfigSource, key: string, problem: string): KernelError {
  const line = lineOf(source.lines, key);
  const where = line === undefined ? source.file : `${source.file}:${line}`;
  return new KernelError(KernelErrorCode.configInvalid, `${where}: ${key} ${problem}`, {
    details: { file: source.file, key, ...(line === undefined ? {} : { line }) },
  });
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Reads the fields of one table, refusing unknown ones. */
class TableReader {
  readonly #source: ConfigSource;
  readonly #prefix: string;
  readonly #table: Record<string, unknown>;

  constructor(source: ConfigSource, prefix: string, table: Record<string, unknown>, known: readonly string[]) {
    this.#source = source;
    this.#prefix = prefix;
    this.#table = table;
    for (const field of Object.keys(table)) {
      if (!known.includes(field)) {
        throw configError(source, `${prefix}.${field}`, `is not a known field (known: ${known.join(", ")})`);
      }
    }
  }

  fail(field: string, form: string): KernelError {
    return configError(this.#source, `${this.#prefix}.${field}`, `must be ${form}, got ${shown(this.#table[field])}`);
  }

  text(field: string, options: { required?: boolean; max?: number } = {}): string | undefined {
    const value = this.#table[field];
    if (value === undefined) {
      if (options.required) throw configError(this.#source, `${this.#prefix}.${field}`, "is required");
      return undefined;
    }
    if (typeof value !== "string" || value.trim() === "" || value.length > (options.max ?? 100_000)) {
      throw this.fail(field, `a non-empty string of at most ${options.max ?? 100_000} characters`);
    }
    return value.trim();
  }

  choice<T extends string>(field: string, choices: readonly T[]): T | undefined {
    const value = this.#table[field];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || !choices.includes(value as T)) {
      throw this.fail(field, `one of ${choices.map((choice) => `"${choice}"`).join(", ")}`);
    }
    return value as T;
  }

  flag(field: string): boolean | undefined {
    const value = this.#table[field];
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") throw this.fail(field, "true or false");
    return value;
  }

  integer(field: string, min: number, max: number): number | undefined {
    const value = this.#table[field];
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw this.fail(field, `an integer from ${min} to ${max}`);
    }
    return value;
  }

  list(field: string, item: (entry: string) => boolean, form: string): string[] | undefined {
    const value = this.#table[field];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((entry) => typeof entry === "string" && item(entry))) {
      throw this.fail(field, form);
    }
    return value as string[];
  }

  table(field: string): Record<string, unknown> | undefined {
    const value = this.#table[field];
    if (value === undefined) return undefined;
    if (!isTable(value)) throw this.fail(field, "a table");
    return value;
  }
}

const PROFILE_FIELDS = [
  "description",
  "system_prompt",
  "model",
  "fallback_models",
  "role",
  "template",
  "exec_allow",
  "paths",
  "network",
  "tools",
  "approval_required",
  "token_budget",
  "max_concurrent",
  "workspace",
  "skills",
];

const toolPatterns = (entry: string) => TOOL_PATTERN.test(entry);
const TOOL_FORM = "a list of tool names or globs (letters, digits, _ and -, with * and ?)";

/** The `[agents]` table: one profile per sub-table. */
export function parseAgentProfiles(raw: unknown, source: ConfigSource): AgentProfileSetting[] {
  if (!isTable(raw)) throw configError(source, "agents", "must be a table of profiles by name ([agents.<name>])");
  return Object.entries(raw).map(([name, value]) => {
    const key = `agents.${name}`;
    if (!PROFILE_NAME.test(name)) {
      throw configError(
        source,
        key,
        "is not a valid profile name: 1–64 of a-z, 0-9, '_' and '-', starting with a letter or digit",
      );
    }
    if (!isTable(value)) throw configError(source, key, "must be a table");
    const read = new TableReader(source, key, value, PROFILE_FIELDS);
    const model = read.text("model", { max: 200 });
    if (model !== undefined && !MODEL_SPEC.test(model)) throw read.fail("model", MODEL_FORM);
    const fallbackModels = read.list("fallback_models", (entry) => MODEL_SPEC.test(entry), `a list of ${MODEL_FORM}s`);
    const tools = read.table("tools");
    let toolLists: AgentProfileSetting["tools"];
    if (tools !== undefined) {
      const toolsRead = new TableReader(source, `${key}.tools`, tools, ["allow", "deny"]);
      const allow = toolsRead.list("allow", toolPatterns, TOOL_FORM);
      const deny = toolsRead.list("deny", toolPatterns, TOOL_FORM);
      toolLists = { ...(allow === undefined ? {} : { allow }), ...(deny === undefined ? {} : { deny }) };
    }
    const budget = read.table("token_budget");
    let tokenBudget: AgentProfileSetting["tokenBudget"];
    if (budget !== undefined) {
      const budgetRead = new TableReader(source, `${key}.token_budget`, budget, ["tokens", "calls", "window"]);
      const tokens = budgetRead.integer("tokens", 1, Number.MAX_SAFE_INTEGER);
      const calls = budgetRead.integer("calls", 1, Number.MAX_SAFE_INTEGER);
      const window = budgetRead.choice("window", ["hour", "day"] as const);
      if (window === undefined)
        throw configError(source, `${key}.token_budget.window`, 'is required ("hour" or "day")');
      if (tokens === undefined && calls === undefined) {
        throw configError(source, `${key}.token_budget`, "needs tokens, calls or both");
      }
      tokenBudget = { window, ...(tokens === undefined ? {} : { tokens }), ...(calls === undefined ? {} : { calls }) };
    }
    const description = read.text("description", { max: 1_000 });
    const systemPrompt = read.text("system_prompt");
    const role = read.choice("role", PROFILE_ROLES);
    const template = read.choice("template", PROFILE_TEMPLATES);
    const execAllow = read.list(
      "exec_allow",
      (entry) => BINARY.test(entry),
      "a list of bare program names such as git",
    );
    const network = read.flag("network");
    const maxConcurrent = read.integer("max_concurrent", 1, 1024);
    return {
      name,
      fallbackModels: fallbackModels ?? [],
      paths:
        read.list(
          "paths",
          (entry) => entry.trim() !== "" && !entry.split("/").includes(".."),
          "a list of paths (absolute, or relative to the workspace) without .. segments",
        ) ?? [],
      approvalRequired: read.list("approval_required", toolPatterns, TOOL_FORM) ?? [],
      workspace: read.choice("workspace", ["persistent", "per-run"] as const) ?? "per-run",
      skills: read.list("skills", (entry) => entry.trim() !== "", "a list of skills folders") ?? [],
      ...(description === undefined ? {} : { description }),
      ...(systemPrompt === undefined ? {} : { systemPrompt }),
      ...(model === undefined ? {} : { model }),
      ...(role === undefined ? {} : { role }),
      ...(template === undefined ? {} : { template }),
      ...(execAllow === undefined ? {} : { execAllow }),
      ...(network === undefined ? {} : { network }),
      ...(toolLists === undefined ? {} : { tools: toolLists }),
      ...(tokenBudget === undefined ? {} : { tokenBudget }),
      ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
    };
  });
}

const SCHEDULE_FIELDS = ["cron", "every", "timezone", "goal", "agent", "missed", "overlap", "enabled"];

/** The `[schedules]` table; a schedule's `agent` must name a profile of `[agents]`. */
export function parseScheduleSettings(
  raw: unknown,
  source: ConfigSource,
  profiles: readonly string[],
): ScheduleSetting[] {
  if (!isTable(raw))
    throw configError(source, "schedules", "must be a table of schedules by name ([schedules.<name>])");
  return Object.entries(raw).map(([name, value]) => {
    const key = `schedules.${name}`;
    if (!PROFILE_NAME.test(name)) {
      throw configError(
        source,
        key,
        "is not a valid schedule name: 1–64 of a-z, 0-9, '_' and '-', starting with a letter or digit",
      );
    }
    if (!isTable(value)) throw configError(source, key, "must be a table");
    const read = new TableReader(source, key, value, SCHEDULE_FIELDS);
    const cron = read.text("cron", { max: 256 });
    const every = read.text("every", { max: 64 });
    if ((cron === undefined) === (every === undefined)) {
      throw configError(source, key, "needs exactly one of cron and every");
    }
    const agent = read.text("agent", { max: 64 });
    if (agent !== undefined && !profiles.includes(agent)) {
      throw configError(
        source,
        `${key}.agent`,
        `names no agent profile: ${shown(agent)} (defined: ${profiles.length === 0 ? "none" : profiles.join(", ")})`,
      );
    }
    const timezone = read.text("timezone", { max: 64 });
    const missed = read.choice("missed", ["skip", "run-once"] as const);
    const overlap = read.choice("overlap", ["skip", "queue"] as const);
    const enabled = read.flag("enabled");
    return {
      name,
      goal: read.text("goal", { required: true }) as string,
      ...(cron === undefined ? {} : { cron }),
      ...(every === undefined ? {} : { every }),
      ...(timezone === undefined ? {} : { timezone }),
      ...(agent === undefined ? {} : { agent }),
      ...(missed === undefined ? {} : { missed }),
      ...(overlap === undefined ? {} : { overlap }),
      ...(enabled === undefined ? {} : { enabled }),
    };
  });
}
