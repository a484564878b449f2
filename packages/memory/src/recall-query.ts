/**
 * The search query `recall` builds from a message of any length: searches accept at most
 * `MAX_QUERY_LENGTH` characters, and a goal or a pasted document can be far longer. The
 * query is the message's start (where a request usually says what it is about), whitespace
 * collapsed, cut at the last word boundary within the bound (or hard at the bound when the
 * text has no space in its second half).
 */

import { MAX_QUERY_LENGTH } from "./limits.ts";

export function recallQuery(text: string, maxLength = MAX_QUERY_LENGTH): string {
  const collapsed = text.replace(/\s+/g, " ").trim();
  if (collapsed.length <= maxLength) return collapsed;
  const head = collapsed.slice(0, maxLength + 1);
  const boundary = head.lastIndexOf(" ");
  return (boundary >= maxLength / 2 ? head.slice(0, boundary) : head.slice(0, maxLength)).trim();
}
