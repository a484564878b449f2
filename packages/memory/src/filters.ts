/**
 * Search and list filters, validated, and compiled to one SQL condition over `memories m`.
 * The same condition is placed inside both candidate queries (vector KNN and BM25), so a
 * filter never runs after a result list has been truncated.
 */

import { KernelError } from "@oxios/core";
import { MemoryErrorCode } from "./error-codes.ts";
import type { MemoryTier, MemoryType } from "./lifecycle.ts";
import { MAX_TAG_LENGTH } from "./limits.ts";
import { validateOptionalId, validateTier, validateType } from "./memory-entry.ts";
import type { SqlValue } from "./sql.ts";
import type { SqlFilter } from "./vector-index.ts";

export interface MemoryFilter {
  types?: readonly MemoryType[];
  tiers?: readonly MemoryTier[];
  spaceId?: string;
  sessionId?: string;
  /** Matches memories carrying any of these tags. */
  tags?: readonly string[];
}

function listOf<T>(value: unknown, name: string, check: (item: unknown) => T): T[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > 64) {
    throw new KernelError(MemoryErrorCode.filterInvalid, `${name} must be a non-empty array of at most 64 items`);
  }
  return [...new Set(value.map(check))];
}

function tag(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_TAG_LENGTH) {
    throw new KernelError(MemoryErrorCode.filterInvalid, `a tag filter must be 1–${MAX_TAG_LENGTH} characters`);
  }
  return value;
}

/** Validates `filter` and compiles it; throws `MEMORY_TYPE_INVALID` / `MEMORY_FILTER_INVALID`. */
export function compileFilter(filter: MemoryFilter = {}): SqlFilter {
  if (typeof filter !== "object" || filter === null) {
    throw new KernelError(MemoryErrorCode.filterInvalid, "filters must be an object");
  }
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  const placeholders = (count: number): string => Array.from({ length: count }, () => "?").join(", ");
  const types = listOf(filter.types, "types", validateType);
  if (types !== undefined) {
    conditions.push(`m.memory_type IN (${placeholders(types.length)})`);
    params.push(...types);
  }
  const tiers = listOf(filter.tiers, "tiers", validateTier);
  if (tiers !== undefined) {
    conditions.push(`m.tier IN (${placeholders(tiers.length)})`);
    params.push(...tiers);
  }
  const spaceId = validateOptionalId(filter.spaceId, "spaceId");
  if (spaceId !== undefined) {
    conditions.push("m.seq IN (SELECT memory_seq FROM memory_spaces WHERE space_id = ?)");
    params.push(spaceId);
  }
  const sessionId = validateOptionalId(filter.sessionId, "sessionId");
  if (sessionId !== undefined) {
    conditions.push("m.session_id = ?");
    params.push(sessionId);
  }
  const tags = listOf(filter.tags, "tags", tag);
  if (tags !== undefined) {
    conditions.push(`EXISTS (SELECT 1 FROM json_each(m.tags) t WHERE t.value IN (${placeholders(tags.length)}))`);
    params.push(...tags);
  }
  return { where: conditions.join(" AND "), params };
}
