/**
 * The Space model: a focused context (a project, a topic) that scopes memory and
 * conversation. This file holds the record type, the default space, the display tag and the
 * input rules every store and manager applies before anything is written.
 */

import { KernelError } from "@oxios/core";
import { SpaceErrorCode } from "./error-codes.ts";
import { normalizeSpacePath } from "./paths.ts";

export type SpaceSource = "manual" | "auto_detected";

export interface Space {
  readonly id: string;
  /** Unique across spaces, compared case-insensitively (see `spaceNameKey`). */
  readonly name: string;
  readonly description: string;
  /** Normalised absolute (`/…`) or home-relative (`~/…`) paths this space covers. */
  readonly paths: readonly string[];
  /** Lowercase words, without a leading `#`. */
  readonly tags: readonly string[];
  readonly emoji: string;
  readonly source: SpaceSource;
  /** Whether memories linked to this space are visible to recall outside it. */
  readonly memoryVisible: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastActiveAt: number;
}

/** The id of the space that always exists; it cannot be removed. */
export const DEFAULT_SPACE_ID = "default";
export const DEFAULT_SPACE_NAME = "Default";
export const DEFAULT_SPACE_EMOJI = "🏠";
/** Emoji given to a space created without one. */
export const NEW_SPACE_EMOJI = "📁";

/** Input limits; each is checked before a write, and breaking one is a coded error. */
export const SPACE_LIMITS = {
  /** Name length in Unicode code points, after trimming. */
  nameMaxLength: 64,
  descriptionMaxLength: 2000,
  maxPaths: 32,
  pathMaxLength: 1024,
  maxTags: 32,
  tagMaxLength: 32,
  /** Emoji length in code points (room for ZWJ sequences and flags). */
  emojiMaxLength: 16,
  /** Session and memory ids. */
  idMaxLength: 256,
} as const;

/** What `SpaceManager.create` accepts; everything but `name` is optional. */
export interface CreateSpaceInput {
  name: string;
  description?: string;
  paths?: readonly string[];
  tags?: readonly string[];
  emoji?: string;
  source?: SpaceSource;
  memoryVisible?: boolean;
}

/** What `SpaceManager.update` accepts; absent fields keep their value. */
export interface UpdateSpaceInput {
  name?: string;
  description?: string;
  paths?: readonly string[];
  tags?: readonly string[];
  emoji?: string;
  memoryVisible?: boolean;
}

/** The display tag `[emoji name]` (just `[name]` when the space has no emoji). */
export function spaceTag(space: Pick<Space, "emoji" | "name">): string {
  return space.emoji === "" ? `[${space.name}]` : `[${space.emoji} ${space.name}]`;
}

/** The key names are unique under: NFC-normalised and lowercased. */
export function spaceNameKey(name: string): string {
  return name.trim().normalize("NFC").toLowerCase();
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

const controlCharacter = /\p{Cc}/u;

function invalid(field: string, message: string, value: unknown): KernelError {
  return new KernelError(SpaceErrorCode.inputInvalid, message, { details: { field, value } });
}

/** A trimmed, NFC name; `SPACE_NAME_INVALID` when empty, over 64 code points or holding control characters. */
export function validateSpaceName(name: unknown): string {
  if (typeof name !== "string") {
    throw new KernelError(SpaceErrorCode.nameInvalid, "space name must be a string", { details: { name } });
  }
  const trimmed = name.trim().normalize("NFC");
  if (trimmed === "")
    throw new KernelError(SpaceErrorCode.nameInvalid, "space name must not be empty", { details: { name } });
  if (codePoints(trimmed) > SPACE_LIMITS.nameMaxLength) {
    throw new KernelError(
      SpaceErrorCode.nameInvalid,
      `space name is longer than ${SPACE_LIMITS.nameMaxLength} characters`,
      {
        details: { name, limit: SPACE_LIMITS.nameMaxLength },
      },
    );
  }
  if (controlCharacter.test(trimmed)) {
    throw new KernelError(SpaceErrorCode.nameInvalid, "space name must not contain control characters", {
      details: { name },
    });
  }
  return trimmed;
}

export function validateDescription(description: unknown): string {
  if (typeof description !== "string") throw invalid("description", "description must be a string", description);
  if (codePoints(description) > SPACE_LIMITS.descriptionMaxLength) {
    throw invalid(
      "description",
      `description is longer than ${SPACE_LIMITS.descriptionMaxLength} characters`,
      description.length,
    );
  }
  return description;
}

/** Normalised, de-duplicated paths; each must be absolute or `~`-relative. */
export function validatePaths(paths: unknown): string[] {
  if (!Array.isArray(paths)) throw invalid("paths", "paths must be an array of strings", paths);
  if (paths.length > SPACE_LIMITS.maxPaths) {
    throw invalid("paths", `a space holds at most ${SPACE_LIMITS.maxPaths} paths`, paths.length);
  }
  const out: string[] = [];
  for (const path of paths) {
    if (typeof path !== "string" || path.length === 0 || path.length > SPACE_LIMITS.pathMaxLength) {
      throw invalid("paths", `each path must be a string of 1 to ${SPACE_LIMITS.pathMaxLength} characters`, path);
    }
    const normalised = normalizeSpacePath(path);
    if (normalised === undefined) {
      throw invalid("paths", "a space path must be absolute (/…) or home-relative (~/…) and stay inside ~", path);
    }
    if (!out.includes(normalised)) out.push(normalised);
  }
  return out;
}

const tagPattern = /^[\p{L}\p{N}_-]+$/u;

/** Lowercase, de-duplicated tags without `#`; letters, digits, `_` and `-` only. */
export function validateTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) throw invalid("tags", "tags must be an array of strings", tags);
  if (tags.length > SPACE_LIMITS.maxTags) {
    throw invalid("tags", `a space holds at most ${SPACE_LIMITS.maxTags} tags`, tags.length);
  }
  const out: string[] = [];
  for (const tag of tags) {
    if (typeof tag !== "string") throw invalid("tags", "each tag must be a string", tag);
    const cleaned = tag.trim().replace(/^#/, "").normalize("NFC").toLowerCase();
    if (cleaned === "" || codePoints(cleaned) > SPACE_LIMITS.tagMaxLength || !tagPattern.test(cleaned)) {
      throw invalid(
        "tags",
        `each tag must be 1 to ${SPACE_LIMITS.tagMaxLength} letters, digits, '_' or '-' (a leading '#' is dropped)`,
        tag,
      );
    }
    if (!out.includes(cleaned)) out.push(cleaned);
  }
  return out;
}

export function validateEmoji(emoji: unknown): string {
  if (typeof emoji !== "string") throw invalid("emoji", "emoji must be a string", emoji);
  const trimmed = emoji.trim();
  if (codePoints(trimmed) > SPACE_LIMITS.emojiMaxLength || controlCharacter.test(trimmed) || /\s/u.test(trimmed)) {
    throw invalid(
      "emoji",
      `emoji must be at most ${SPACE_LIMITS.emojiMaxLength} code points without spaces or control characters`,
      emoji,
    );
  }
  return trimmed;
}

/** A session or memory id: a non-empty string of at most 256 characters. */
export function validateId(field: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > SPACE_LIMITS.idMaxLength) {
    throw invalid(field, `${field} must be a string of 1 to ${SPACE_LIMITS.idMaxLength} characters`, value);
  }
  return value;
}

export function validateSource(source: unknown): SpaceSource {
  if (source !== "manual" && source !== "auto_detected") {
    throw invalid("source", "source must be 'manual' or 'auto_detected'", source);
  }
  return source;
}

export function validateBoolean(field: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw invalid(field, `${field} must be a boolean`, value);
  return value;
}
