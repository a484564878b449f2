/**
 * The operator's control plane as the kernel holds it: the agent profiles and scheduled
 * goals of the configuration, checked against the kernel's modules and turned into what the
 * runtime and the scheduler use. `resolveControlPlane` finishes the checks `loadConfig`
 * cannot make (tool names against the registered tools, cron expressions and time zones,
 * model keys, skills folders), each refusal a `CONFIG_INVALID` naming file, line and key;
 * `ControlPlane` holds the result and swaps it whole on a reload, so a running run keeps the
 * profile it started with and new runs get the new one.
 */

import { isAbsolute, join, resolve } from "node:path";
import { KernelError } from "@oxios/core";
import {
  type AgentProfile,
  loadSkills,
  modelSpec,
  type ResolvedModel,
  resolveModel,
  type Skill,
  type TokenBudgets,
} from "@oxios/runtime";
import { type GoalSchedule, parseGoalSchedule } from "@oxios/scheduler";
import { type AgentPermissions, toolNameMatches } from "@oxios/tools";
import type { KernelConfig } from "./config.ts";
import { type AgentProfileSetting, type ConfigSource, configError } from "./control-config.ts";
import { KernelErrorCode } from "./error-codes.ts";

/** A profile as `GET /api/agents/profiles` shows it. */
export interface ProfileView {
  name: string;
  description?: string;
  model: string;
  fallbackModels: string[];
  role: string;
  template: string;
  execAllow: string[] | null;
  paths: string[];
  network: boolean;
  tools: { allow?: string[]; deny?: string[] };
  approvalRequired: string[];
  tokenBudget?: { tokens?: number; calls?: number; window: "hour" | "day" };
  maxConcurrent?: number;
  workspace: "persistent" | "per-run";
  skills: string[];
}

export interface ResolvedControlPlane {
  profiles: ReadonlyMap<string, AgentProfile>;
  views: readonly ProfileView[];
  schedules: readonly GoalSchedule[];
  /** Skills of `$OXIOS_HOME/skills`, for agents without a profile. */
  skills: readonly Skill[];
}

/** `$OXIOS_HOME/skills`: skills every agent is told about. */
export function skillsFolder(config: Pick<KernelConfig, "home">): string {
  return join(config.home, "skills");
}

/** Checks the profiles and schedules of `config` against the kernel and resolves them. */
export async function resolveControlPlane(
  config: KernelConfig,
  kernel: { model: ResolvedModel; toolNames: readonly string[] },
): Promise<ResolvedControlPlane> {
  const source: ConfigSource = { file: config.configPath, lines: config.configLines };
  const mcpServers = config.mcpServers.map((server) => server.name);
  const global = skillsFolder(config);
  let globalSkills: Skill[];
  try {
    globalSkills = await loadSkills([global], [global]);
  } catch (error) {
    throw new KernelError(KernelErrorCode.configInvalid, `skills in ${global}: ${KernelError.from(error).message}`, {
      cause: error,
      details: { file: global },
    });
  }
  const profiles = new Map<string, AgentProfile>();
  const views: ProfileView[] = [];
  for (const setting of config.agents) {
    const key = `agents.${setting.name}`;
    checkToolPatterns(source, `${key}.tools.allow`, setting.tools?.allow, kernel.toolNames, mcpServers);
    checkToolPatterns(source, `${key}.tools.deny`, setting.tools?.deny, kernel.toolNames, mcpServers);
    checkToolPatterns(source, `${key}.approval_required`, setting.approvalRequired, kernel.toolNames, mcpServers);
    const primary =
      setting.model === undefined ? kernel.model : resolveProfileModel(config, source, `${key}.model`, setting.model);
    const fallbacks = setting.fallbackModels.map((spec, index) =>
      resolveProfileModel(config, source, `${key}.fallback_models`, spec, index),
    );
    let skills: Skill[];
    try {
      skills = await loadSkills(
        [global, ...setting.skills.map((folder) => (isAbsolute(folder) ? folder : resolve(config.home, folder)))],
        [global],
      );
    } catch (error) {
      throw configError(source, `${key}.skills`, `cannot be loaded: ${KernelError.from(error).message}`);
    }
    const permissions = profilePermissions(config, setting);
    profiles.set(setting.name, {
      name: setting.name,
      models: [primary, ...fallbacks],
      identity: {
        name: setting.name,
        ...(setting.role === undefined ? {} : { role: setting.role }),
        ...(setting.template === undefined ? {} : { template: setting.template }),
        permissions,
      },
      workspace: setting.workspace,
      skills,
      ...(setting.description === undefined ? {} : { description: setting.description }),
      ...(setting.systemPrompt === undefined ? {} : { systemPrompt: setting.systemPrompt }),
      ...(setting.maxConcurrent === undefined ? {} : { maxConcurrent: setting.maxConcurrent }),
      ...(setting.tokenBudget === undefined ? {} : { budget: setting.tokenBudget }),
    });
    views.push({
      name: setting.name,
      model: modelSpec(primary),
      fallbackModels: fallbacks.map(modelSpec),
      role: setting.role ?? "user",
      template: setting.template ?? "standard",
      execAllow: setting.execAllow ?? config.execBinaries ?? null,
      paths: setting.paths,
      network: permissions.network ?? false,
      tools: setting.tools ?? {},
      approvalRequired: setting.approvalRequired,
      workspace: setting.workspace,
      skills: skills.map((skill) => skill.name),
      ...(setting.description === undefined ? {} : { description: setting.description }),
      ...(setting.tokenBudget === undefined ? {} : { tokenBudget: setting.tokenBudget }),
      ...(setting.maxConcurrent === undefined ? {} : { maxConcurrent: setting.maxConcurrent }),
    });
  }
  const schedules = config.schedules.map((setting) => {
    try {
      return parseGoalSchedule({ ...setting }, "config");
    } catch (error) {
      const failure = KernelError.from(error);
      const field = (failure.details as { field?: unknown } | undefined)?.field;
      const message = failure.message.replace(/^[a-z]+: /, "");
      throw configError(source, `schedules.${setting.name}${typeof field === "string" ? `.${field}` : ""}`, message);
    }
  });
  return { profiles, views, schedules, skills: globalSkills };
}

function profilePermissions(config: KernelConfig, setting: AgentProfileSetting): AgentPermissions {
  const binaries = setting.execAllow ?? config.execBinaries;
  return {
    network: setting.network ?? config.agentNetwork,
    ...(binaries === undefined ? {} : { exec: { binaries } }),
    ...(setting.tools === undefined ? {} : { tools: setting.tools }),
    ...(setting.paths.length === 0 ? {} : { paths: { allow: setting.paths } }),
    ...(setting.approvalRequired.length === 0 ? {} : { approvalRequired: setting.approvalRequired }),
  };
}

function resolveProfileModel(
  config: KernelConfig,
  source: ConfigSource,
  key: string,
  spec: string,
  index?: number,
): ResolvedModel {
  try {
    return resolveModel(spec, {
      env: {},
      ...(config.llmApiKey ? { apiKey: config.llmApiKey } : {}),
      ...(config.llmBaseUrl ? { baseUrl: config.llmBaseUrl } : {}),
    });
  } catch (error) {
    const which = index === undefined ? "" : ` (entry ${index + 1}, "${spec}")`;
    throw configError(source, key, `cannot be used${which}: ${KernelError.from(error).message}`);
  }
}

/**
 * Every pattern must match a registered tool, or name an MCP server of the configuration
 * (`mcp__<server>__…`: its tools are registered once it connects, which may be after boot).
 */
function checkToolPatterns(
  source: ConfigSource,
  key: string,
  patterns: readonly string[] | undefined,
  toolNames: readonly string[],
  mcpServers: readonly string[],
): void {
  for (const pattern of patterns ?? []) {
    if (mcpServers.some((server) => pattern.startsWith(`mcp__${server}__`))) continue;
    if (toolNames.some((name) => toolNameMatches([pattern], name))) continue;
    throw configError(
      source,
      key,
      `names no tool of this kernel: "${pattern}" (tools: ${[...toolNames].sort().join(", ")})`,
    );
  }
}

/** The kernel's current profiles and skills; `apply` swaps them whole (a reload). */
export class ControlPlane {
  #resolved: ResolvedControlPlane;
  readonly #budgets: TokenBudgets;

  constructor(resolved: ResolvedControlPlane, budgets: TokenBudgets) {
    this.#resolved = resolved;
    this.#budgets = budgets;
    this.#applyBudgets(undefined);
  }

  /** The profile runs started now would use. */
  readonly profile = (name: string): AgentProfile | undefined => this.#resolved.profiles.get(name);

  /** Skills of agents without a profile. */
  readonly skills = (): readonly Skill[] => this.#resolved.skills;

  profiles(): readonly ProfileView[] {
    return this.#resolved.views;
  }

  /** Each profile's `max_concurrent`, by profile name (profiles without one have no cap). */
  profileCaps(): Record<string, number> {
    const caps: Record<string, number> = {};
    for (const profile of this.#resolved.profiles.values()) {
      if (profile.maxConcurrent !== undefined) caps[profile.name] = profile.maxConcurrent;
    }
    return caps;
  }

  schedules(): readonly GoalSchedule[] {
    return this.#resolved.schedules;
  }

  /** Replaces profiles, skills and schedules; profile budgets keep their window's usage. */
  apply(resolved: ResolvedControlPlane): void {
    const before = this.#resolved;
    this.#resolved = resolved;
    this.#applyBudgets(before);
  }

  #applyBudgets(before: ResolvedControlPlane | undefined): void {
    for (const profile of before?.profiles.values() ?? []) {
      if (this.#resolved.profiles.get(profile.name)?.budget === undefined) {
        this.#budgets.setWindowBudget(profile.name, undefined);
      }
    }
    for (const profile of this.#resolved.profiles.values()) {
      if (profile.budget !== undefined) this.#budgets.setWindowBudget(profile.name, profile.budget);
    }
  }
}
