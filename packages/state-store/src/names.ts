/**
 * Validation of state categories and names, done before any path is built or any file is
 * touched. A name maps to `<root>/<category>/<name>.<ext>`, so anything that could escape
 * the category directory, collide with the store's own files (temp files, the metadata
 * index, `.git`) or exceed file-name limits is rejected with `STATE_NAME_INVALID`.
 */

import { KernelError } from "@oxios/core";
import { StateStoreErrorCode } from "./error-codes.ts";

/** Longest name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;
/**
 * Longest single path segment, in UTF-8 bytes: a segment plus `.json` plus the temp
 * suffix (`.<16 hex>.tmp`) must fit in a 255-byte file name.
 */
export const MAX_SEGMENT_BYTES = 200;

const encoder = new TextEncoder();

function reason(value: string, allowSlash: boolean): string | undefined {
  if (value.length === 0) return "is empty";
  if (value.includes("\0")) return "contains NUL";
  // Other control characters have no business in a file name and confuse terminals and git.
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return "contains a control character";
  }
  if (value.includes("\\")) return "contains a backslash";
  if (value.includes("..")) return "contains '..'";
  if (/^[A-Za-z]:/.test(value)) return "is an absolute path (drive letter)";
  if (value.startsWith("/")) return "is an absolute path (leading '/')";
  if (value.endsWith("/")) return "has a trailing '/'";
  if (value.includes("//")) return "contains '//'";
  if (!allowSlash && value.includes("/")) return "contains '/' (categories are one directory level)";
  if (encoder.encode(value).length > MAX_NAME_BYTES) return `is longer than ${MAX_NAME_BYTES} bytes`;
  for (const segment of value.split("/")) {
    // Leading dots would reach `.git`, `.gitignore`, the metadata index or hidden temp files.
    if (segment.startsWith(".")) return `has a segment starting with '.' (${segment})`;
    if (segment.endsWith(".tmp")) return "has a segment ending in '.tmp' (reserved for temp files)";
    if (encoder.encode(segment).length > MAX_SEGMENT_BYTES) {
      return `has a path segment longer than ${MAX_SEGMENT_BYTES} bytes`;
    }
  }
  return undefined;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Throws `STATE_NAME_INVALID` unless `category` is one safe directory name. */
export function assertValidCategory(category: unknown): asserts category is string {
  const problem = typeof category === "string" ? reason(category, false) : "is not a string";
  if (problem !== undefined) {
    throw new KernelError(StateStoreErrorCode.nameInvalid, `state category ${describe(category)} ${problem}`, {
      details: { category: typeof category === "string" ? category : String(category), reason: problem },
    });
  }
}

/** Throws `STATE_NAME_INVALID` unless `name` is a safe relative name (`a` or `a/b`). */
export function assertValidName(name: unknown): asserts name is string {
  const problem = typeof name === "string" ? reason(name, true) : "is not a string";
  if (problem !== undefined) {
    throw new KernelError(StateStoreErrorCode.nameInvalid, `state name ${describe(name)} ${problem}`, {
      details: { name: typeof name === "string" ? name : String(name), reason: problem },
    });
  }
}
