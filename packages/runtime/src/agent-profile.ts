/**
 * Agent profiles: named kinds of agent an operator defines (the kernel reads them from
 * `[agents.<name>]` in config.toml). A profile gives an agent its persona, its models (the
 * first answers; the rest take the call in order when it cannot), how it appears to the
 * tools gate (role, template, tool lists, exec allowlist, paths, network, approvals), its
 * workspace (one persistent directory per profile, or one per run removed afterwards), a
 * cap on its runs at once and a windowed budget, and the skills it is told about.
 *
 * A run takes a snapshot of its profile when its agent is spawned: a profile changed by a
 * reload applies to runs started after it, never to a run already going.
 */

import type { AgentIdentityTemplate } from "./agent-runner.ts";
import type { ResolvedModel } from "./providers/resolve-model.ts";
import type { WindowBudget } from "./token-budgets.ts";

/** A skill as the system prompt lists it; the agent loads it with `skill_read`. */
export interface SkillSummary {
  name: string;
  description: string;
}

/** A loaded skill: its summary and the folder it lives in (a real path); see `skills.ts`. */
export interface Skill extends SkillSummary {
  dir: string;
}

export interface AgentProfile {
  name: string;
  description?: string;
  /** The persona: opens the system prompt. */
  systemPrompt?: string;
  /** The first answers; the others, in order, take a call it cannot (open breaker, retryable error). */
  models?: readonly ResolvedModel[];
  /** How the agent appears to the gate (role, template, permissions). */
  identity?: AgentIdentityTemplate;
  /** `persistent`: `<workspaceRoot>/profiles/<name>`, kept; `per-run` (default): a directory per run, removed after it. */
  workspace?: "persistent" | "per-run";
  /** Runs of this profile admitted at once. */
  maxConcurrent?: number;
  /** Tokens and model calls all of the profile's agents may spend per window. */
  budget?: WindowBudget;
  /** The skills its agents are told about and may load (the kernel's and its own). */
  skills?: readonly Skill[];
}

/** Where the runtime finds profiles by name (the kernel's catalogue, replaced on reload). */
export type ProfileLookup = (name: string) => AgentProfile | undefined;

/** The spec string of a model, `provider/modelId`, as run records and events name it. */
export function modelSpec(model: Pick<ResolvedModel, "provider" | "modelId">): string {
  return model.provider === "demo" && model.modelId === "demo" ? "demo" : `${model.provider}/${model.modelId}`;
}
