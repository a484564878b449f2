/**
 * The shape of a memory as the API returns it, the inputs that create and change one, and
 * the row codec: validation of caller input (stable error codes) and decoding of stored
 * rows (a row that does not decode is reported, never silently dropped).
 */

import { KernelError } from "@oxios/core";
import { MemoryErrorCode } from "./error-codes.ts";
import {
  isMemoryTier,
  isMemoryType,
  isProtectionLevel,
  MEMORY_TIERS,
  MEMORY_TYPE_NAMES,
  type MemoryTier,
  type MemoryType,
  PROTECTION_NAMES,
  type ProtectionLevel,
} from "./lifecycle.ts";
import { MAX_CONTENT_LENGTH, MAX_SUMMARY_LENGTH, MAX_TAG_LENGTH, MAX_TAGS } from "./limits.ts";

export interface MemoryEntry {
  id: string;
  type: MemoryType;
  content: string;
  summary: string | undefined;
  importance: number;
  tier: MemoryTier;
  protection: ProtectionLevel;
  source: string | undefined;
  sessionId: string | undefined;
  /** Spaces this memory is linked to (a memory may belong to several). */
  spaceIds: string[];
  tags: string[];
  metadata: Record<string, unknown>;
  accessCount: number;
  pinned: boolean;
  autoClassified: boolean;
  sessionAppearances: number;
  decayScore: number;
  compactionLevel: number;
  contentHash: string;
  createdAt: number;
  updatedAt: number;
  accessedAt: number;
  decayRate: number;
}

export interface RememberInput {
  content: string;
  type: MemoryType;
  summary?: string;
  tier?: MemoryTier;
  protection?: ProtectionLevel;
  tags?: readonly string[];
  spaceId?: string;
  sessionId?: string;
  source?: string;
  /** 0–1; defaults to the type's base importance. */
  importance?: number;
  pinned?: boolean;
  metadata?: Record<string, unknown>;
}

export interface MemoryPatch {
  content?: string;
  summary?: string;
  type?: MemoryType;
  tier?: MemoryTier;
  protection?: ProtectionLevel;
  tags?: readonly string[];
  importance?: number;
  metadata?: Record<string, unknown>;
}

export interface MemoryRow {
  seq: number;
  id: string;
  memory_type: string;
  content: string;
  summary: string | null;
  importance: number;
  tier: string;
  protection: string;
  source: string | null;
  session_id: string | null;
  tags: string;
  metadata: string;
  access_count: number;
  pinned: number;
  auto_classified: number;
  session_appearances: number;
  decay_score: number;
  compaction_level: number;
  content_hash: string;
  created_at: number;
  updated_at: number;
  accessed_at: number;
  decay_rate: number;
  space_ids: string | null;
}

function invalid(code: string, message: string, details?: Record<string, unknown>): KernelError {
  return new KernelError(code, message, details === undefined ? {} : { details });
}

export function validateContent(content: unknown): string {
  if (typeof content !== "string" || content.trim().length === 0) {
    throw invalid(MemoryErrorCode.contentInvalid, "memory content must be a non-empty string");
  }
  if (content.length > MAX_CONTENT_LENGTH) {
    throw invalid(
      MemoryErrorCode.contentInvalid,
      `memory content is ${content.length} characters; the limit is ${MAX_CONTENT_LENGTH}`,
      { length: content.length, limit: MAX_CONTENT_LENGTH },
    );
  }
  return content;
}

export function validateType(type: unknown): MemoryType {
  if (!isMemoryType(type)) {
    throw invalid(
      MemoryErrorCode.typeInvalid,
      `unknown memory type ${JSON.stringify(type)}; expected one of ${MEMORY_TYPE_NAMES.join(", ")}`,
    );
  }
  return type;
}

export function validateTier(tier: unknown): MemoryTier {
  if (!isMemoryTier(tier)) {
    throw invalid(
      MemoryErrorCode.filterInvalid,
      `unknown tier ${JSON.stringify(tier)}; expected ${MEMORY_TIERS.join(", ")}`,
    );
  }
  return tier;
}

export function validateProtection(protection: unknown): ProtectionLevel {
  if (!isProtectionLevel(protection)) {
    throw invalid(
      MemoryErrorCode.filterInvalid,
      `unknown protection ${JSON.stringify(protection)}; expected ${PROTECTION_NAMES.join(", ")}`,
    );
  }
  return protection;
}

export function validateTags(tags: unknown): string[] {
  if (!Array.isArray(tags) || tags.length > MAX_TAGS) {
    throw invalid(MemoryErrorCode.filterInvalid, `tags must be an array of at most ${MAX_TAGS} strings`);
  }
  for (const tag of tags) {
    if (typeof tag !== "string" || tag.length === 0 || tag.length > MAX_TAG_LENGTH) {
      throw invalid(MemoryErrorCode.filterInvalid, `each tag must be a string of 1–${MAX_TAG_LENGTH} characters`);
    }
  }
  return [...new Set(tags as string[])];
}

export function validateImportance(importance: unknown): number {
  if (typeof importance !== "number" || !Number.isFinite(importance) || importance < 0 || importance > 1) {
    throw invalid(MemoryErrorCode.filterInvalid, "importance must be a number from 0 to 1");
  }
  return importance;
}

export function validateSummary(summary: unknown): string {
  if (typeof summary !== "string" || summary.length > MAX_SUMMARY_LENGTH) {
    throw invalid(
      MemoryErrorCode.contentInvalid,
      `summary must be a string of at most ${MAX_SUMMARY_LENGTH} characters`,
    );
  }
  return summary;
}

export function validateOptionalId(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > 256) {
    throw invalid(MemoryErrorCode.filterInvalid, `${name} must be a string of 1–256 characters`);
  }
  return value;
}

export function validateMetadata(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(MemoryErrorCode.filterInvalid, "metadata must be a plain object");
  }
  return value as Record<string, unknown>;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON`, { cause: error });
  }
}

/** Decodes one stored row; throws a plain Error describing what is wrong when it cannot. */
export function decodeRow(row: MemoryRow): MemoryEntry {
  if (!isMemoryType(row.memory_type)) throw new Error(`unknown memory_type ${row.memory_type}`);
  if (!isMemoryTier(row.tier)) throw new Error(`unknown tier ${row.tier}`);
  if (!isProtectionLevel(row.protection)) throw new Error(`unknown protection ${row.protection}`);
  if (typeof row.content !== "string") throw new Error("content is not text");
  const tags = parseJson(row.tags, "tags");
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== "string")) throw new Error("tags is not a string list");
  const metadata = parseJson(row.metadata, "metadata");
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new Error("metadata is not an object");
  }
  return {
    id: row.id,
    type: row.memory_type,
    content: row.content,
    summary: row.summary ?? undefined,
    importance: row.importance,
    tier: row.tier,
    protection: row.protection,
    source: row.source ?? undefined,
    sessionId: row.session_id ?? undefined,
    spaceIds: row.space_ids === null || row.space_ids === "" ? [] : row.space_ids.split("\u001f").sort(),
    tags: tags as string[],
    metadata: metadata as Record<string, unknown>,
    accessCount: row.access_count,
    pinned: row.pinned === 1,
    autoClassified: row.auto_classified === 1,
    sessionAppearances: row.session_appearances,
    decayScore: row.decay_score,
    compactionLevel: row.compaction_level,
    contentHash: row.content_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    accessedAt: row.accessed_at,
    decayRate: row.decay_rate,
  };
}

/** The SELECT list that `decodeRow` expects, over `memories m`. */
export const MEMORY_COLUMNS = `m.*, (SELECT group_concat(space_id, char(31)) FROM memory_spaces s WHERE s.memory_seq = m.seq) AS space_ids`;
