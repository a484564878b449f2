/**
 * @module @oxios/tools/mcp — an MCP client for the kernel: servers from configuration over
 * stdio or Streamable HTTP, their tools registered as gated Oxios tools named
 * `mcp__<server>__<tool>`, per-request timeouts, cancellation that reaches the server, and
 * reconnection with backoff when a server dies.
 */

export { McpErrorCode } from "../error-codes.ts";
export {
  type McpCallOutput,
  McpClientManager,
  type McpClientManagerOptions,
  type McpRestartPolicy,
  type McpServerState,
  type McpServerStatus,
  type McpToolInfo,
} from "./mcp-client-manager.ts";
export {
  MCP_SERVER_NAME_PATTERN,
  type McpServerConfig,
  type McpServerConfigInput,
  type McpTransportConfig,
  mcpServerConfigSchema,
  parseMcpServers,
} from "./mcp-config.ts";
export { mcpToolName } from "./mcp-tool-name.ts";
