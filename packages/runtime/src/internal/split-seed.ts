/**
 * How the orchestrator shares a seed with many acceptance criteria among several agents.
 */

import type { Seed } from "../system-prompt.ts";

/** Splits a seed's criteria round-robin into at most 8 parts, one agent each. */
export function splitSeed(seed: Seed, maxParts = 8): Seed[] {
  const criteria = seed.acceptanceCriteria ?? [];
  const count = Math.min(maxParts, criteria.length);
  const parts: string[][] = Array.from({ length: count }, () => []);
  for (const [index, criterion] of criteria.entries()) parts[index % count]?.push(criterion);
  return parts.map((part, index) => ({
    goal: `${seed.goal} (part ${index + 1} of ${count}: the criteria below)`,
    constraints: seed.constraints ?? [],
    acceptanceCriteria: part,
    ...(seed.id === undefined ? {} : { id: `${seed.id}-p${index + 1}` }),
  }));
}
