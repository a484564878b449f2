/**
 * Memory lifecycle: the memory types with their base importance and decay rate, the tiers
 * with their caps, the protection levels with their decay multipliers, and the decay formula
 * that decides what fades. Values follow the upstream kernel's design.
 */

/** Base importance and decay rate (per hour) of each memory type. */
export const MEMORY_TYPES = {
  fact: { importance: 0.7, decayRate: 0.01 },
  decision: { importance: 0.8, decayRate: 0.005 },
  episode: { importance: 0.5, decayRate: 0.03 },
  knowledge: { importance: 0.75, decayRate: 0.008 },
  conversation: { importance: 0.35, decayRate: 0.06 },
  session: { importance: 0.4, decayRate: 0.045 },
  preference: { importance: 0.9, decayRate: 0.002 },
  user_profile: { importance: 0.95, decayRate: 0.001 },
  procedure: { importance: 0.85, decayRate: 0.004 },
} as const satisfies Record<string, { importance: number; decayRate: number }>;

export type MemoryType = keyof typeof MEMORY_TYPES;
export const MEMORY_TYPE_NAMES = Object.keys(MEMORY_TYPES) as MemoryType[];

/** Tiers, hottest first. Hot is what an agent's context sees; cold is the archive. */
export const MEMORY_TIERS = ["hot", "warm", "cold"] as const;
export type MemoryTier = (typeof MEMORY_TIERS)[number];

export interface TierCaps {
  hot: { count: number; tokens: number };
  warm: { count: number };
  cold: { count: number };
}

/** Hot 50 memories within ~3,000 tokens, warm 500, cold 10,000. */
export const DEFAULT_TIER_CAPS: TierCaps = {
  hot: { count: 50, tokens: 3_000 },
  warm: { count: 500 },
  cold: { count: 10_000 },
};

/** Protection levels and the factor each multiplies the decay rate by. */
export const PROTECTION_LEVELS = {
  none: 1,
  low: 0.5,
  medium: 0.2,
  high: 0.05,
  permanent: 0,
} as const;

export type ProtectionLevel = keyof typeof PROTECTION_LEVELS;
export const PROTECTION_NAMES = Object.keys(PROTECTION_LEVELS) as ProtectionLevel[];

/** Decay score under which an unprotected memory may be pruned. */
export const PRUNE_THRESHOLD = 0.05;

const HOUR_MS = 3_600_000;

export interface DecayInput {
  decayRate: number;
  importance: number;
  protection: ProtectionLevel;
  accessCount: number;
  /** Last access (or creation), Unix ms. */
  accessedAt: number;
}

/**
 * Retention in [0, 1]:
 * `exp(−rate · (1.5 − importance) · protection / (1 + ln(1 + accessCount)) · hoursSinceAccess)`.
 * The importance multiplier makes important memories fade slower; each access slows decay
 * logarithmically; `permanent` protection (factor 0) never decays.
 */
export function decayScore(input: DecayInput, now: number): number {
  const hours = Math.max(0, now - input.accessedAt) / HOUR_MS;
  const multiplier = 1.5 - Math.min(1, Math.max(0, input.importance));
  const rate =
    (input.decayRate * multiplier * PROTECTION_LEVELS[input.protection]) / (1 + Math.log(1 + input.accessCount));
  return Math.exp(-rate * hours);
}

export interface PrunableInput extends DecayInput {
  pinned: boolean;
  type: MemoryType;
}

/** Not pinned, protection below medium, not a profile or preference, and decayed below 0.05. */
export function isPrunable(input: PrunableInput, now: number): boolean {
  if (input.pinned) return false;
  if (input.protection !== "none" && input.protection !== "low") return false;
  if (input.type === "user_profile" || input.type === "preference") return false;
  return decayScore(input, now) < PRUNE_THRESHOLD;
}

export function isMemoryType(value: unknown): value is MemoryType {
  return typeof value === "string" && Object.hasOwn(MEMORY_TYPES, value);
}

export function isMemoryTier(value: unknown): value is MemoryTier {
  return typeof value === "string" && (MEMORY_TIERS as readonly string[]).includes(value);
}

export function isProtectionLevel(value: unknown): value is ProtectionLevel {
  return typeof value === "string" && Object.hasOwn(PROTECTION_LEVELS, value);
}
