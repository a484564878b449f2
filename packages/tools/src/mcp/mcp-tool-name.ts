/**
 * Tool names for MCP tools: `mcp__<server>__<tool>`. Providers accept only
 * `^[a-zA-Z0-9_-]{1,64}$`, so other characters become `_` and a name that is still too long
 * is cut and suffixed with a hash of the full original, which keeps it deterministic and
 * distinct from its neighbours.
 */

import { TOOL_NAME_PATTERN } from "../tool.ts";

const MAX = 64;

/** FNV-1a, 32 bit, as 8 hex digits: small, stable across runs and runtimes. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

export function mcpToolName(server: string, tool: string): string {
  const full = `mcp__${server}__${tool}`;
  if (TOOL_NAME_PATTERN.test(full)) return full;
  // Sanitizing can merge two names (`a.b`, `a_b`) and cutting can merge long ones; the hash
  // of the original keeps them apart.
  const suffix = `_${fnv1a(full)}`;
  return full.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, MAX - suffix.length) + suffix;
}
