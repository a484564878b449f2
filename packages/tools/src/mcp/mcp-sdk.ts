/**
 * The MCP SDK, loaded at the first connection attempt rather than with the kernel: a kernel
 * without MCP servers never loads it (its client, transports and schemas are several MB of
 * resident memory). Loaded once (`loadOnce`); a failed load is tried again at the next attempt.
 */

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { KernelError, loadOnce } from "@oxios/core";
import { McpErrorCode } from "../error-codes.ts";

export interface McpSdk {
  Client: typeof Client;
  StdioClientTransport: typeof StdioClientTransport;
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  McpError: typeof McpError;
  ErrorCode: typeof ErrorCode;
}

/** A failed load is `MCP_SERVER_UNAVAILABLE` with the import's own message. */
export const loadMcpSdk: () => Promise<McpSdk> = loadOnce(
  async () => {
    const [client, stdio, http, types] = await Promise.all([
      import("@modelcontextprotocol/sdk/client/index.js"),
      import("@modelcontextprotocol/sdk/client/stdio.js"),
      import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
      import("@modelcontextprotocol/sdk/types.js"),
    ]);
    return {
      Client: client.Client,
      StdioClientTransport: stdio.StdioClientTransport,
      StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
      McpError: types.McpError,
      ErrorCode: types.ErrorCode,
    };
  },
  (cause) => KernelError.from(cause, McpErrorCode.serverUnavailable),
);
