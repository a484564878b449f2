/**
 * Configuration of the MCP servers a kernel connects to, checked with zod so a typo in
 * `config.toml` is a clear `MCP_CONFIG_INVALID` at start-up rather than a failed spawn later.
 */

import { KernelError } from "@oxios/core";
import { z } from "zod";
import { McpErrorCode } from "../error-codes.ts";

/** Server names become part of tool names (`mcp__<server>__<tool>`), so they are kept short and plain. */
export const MCP_SERVER_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,32}$/;

const stdioTransport = z.object({
  type: z.literal("stdio"),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Added to a minimal inherited environment (HOME, PATH, USER, SHELL, TERM, LOGNAME). */
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().min(1).optional(),
});

const httpTransport = z.object({
  type: z.literal("streamable-http"),
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).default({}),
});

export const mcpServerConfigSchema = z.object({
  name: z.string().regex(MCP_SERVER_NAME_PATTERN, "server names must match ^[a-zA-Z0-9_-]{1,32}$"),
  transport: z.discriminatedUnion("type", [stdioTransport, httpTransport]),
  /** Per-request timeout in milliseconds. Default 30 s. */
  requestTimeoutMs: z.number().int().positive().max(3_600_000).optional(),
  /** Set false to keep the server configured but not started. Default true. */
  enabled: z.boolean().default(true),
});

export type McpServerConfig = z.output<typeof mcpServerConfigSchema>;
export type McpServerConfigInput = z.input<typeof mcpServerConfigSchema>;
export type McpTransportConfig = McpServerConfig["transport"];

/** Parses a list of server configurations; names must be unique. */
export function parseMcpServers(input: readonly unknown[]): McpServerConfig[] {
  const servers: McpServerConfig[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of input.entries()) {
    const parsed = mcpServerConfigSchema.safeParse(raw);
    if (!parsed.success) {
      throw new KernelError(McpErrorCode.configInvalid, `MCP server #${index}: ${z.prettifyError(parsed.error)}`, {
        details: { index },
      });
    }
    if (seen.has(parsed.data.name)) {
      throw new KernelError(McpErrorCode.configInvalid, `two MCP servers are named ${parsed.data.name}`);
    }
    seen.add(parsed.data.name);
    servers.push(parsed.data);
  }
  return servers;
}
