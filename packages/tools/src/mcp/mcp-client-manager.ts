/**
 * MCP client: connects to the configured MCP servers (stdio or Streamable HTTP) with the
 * official SDK, lists their tools and turns each into an Oxios tool named
 * `mcp__<server>__<tool>` that runs only through the access gate.
 *
 * Failure model: a server that crashes, exits or cannot be reached makes its calls fail with
 * `MCP_SERVER_UNAVAILABLE` — in-flight calls included, never an unhandled rejection — and is
 * reconnected with exponential backoff on the injected Clock. Every request has a timeout
 * (default 30 s, on the Clock); a timeout or an abort cancels the request, and the SDK then
 * sends `notifications/cancelled` to the server.
 */

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  abortError,
  anySignal,
  type Clock,
  createConsoleLogger,
  KernelError,
  type Logger,
  systemClock,
  timeoutSignal,
} from "@oxios/core";
import { z } from "zod";
import { McpErrorCode } from "../error-codes.ts";
import { type AnyTool, defineTool } from "../tool.ts";
import { type McpServerConfig, type McpServerConfigInput, parseMcpServers } from "./mcp-config.ts";
import { loadMcpSdk, type McpSdk } from "./mcp-sdk.ts";
import { mcpToolName } from "./mcp-tool-name.ts";

/** Node's setTimeout limit; the SDK's own timer is pushed out of the way, ours runs on the Clock. */
const SDK_TIMEOUT_DISABLED = 2_147_483_647;

export type McpServerState = "disabled" | "starting" | "ready" | "restarting" | "stopped";

export interface McpServerStatus {
  name: string;
  transport: "stdio" | "streamable-http";
  state: McpServerState;
  /** Tools the server listed at its last successful connection. */
  tools: number;
  /** Successful reconnections after the first connection. */
  restarts: number;
  /** Consecutive failed connection attempts. */
  failures: number;
  lastError?: string;
  /** The server process, for stdio servers that are running. */
  pid?: number;
  /** When the next reconnection attempt is due (Clock milliseconds), while restarting. */
  nextAttemptAt?: number;
}

/** One tool as an MCP server lists it. */
export interface McpToolInfo {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  /**
   * The server declares that repeating a call has no further effect: its `readOnlyHint` or
   * `idempotentHint` annotation (hints a configured server is trusted to give).
   */
  idempotent: boolean;
}

/** What an MCP tool call returns: the server's content blocks and structured content. */
export interface McpCallOutput {
  content: unknown[];
  structuredContent?: Record<string, unknown>;
}

export interface McpRestartPolicy {
  /** First delay before reconnecting. Default 500 ms. */
  initialDelayMs?: number;
  /** Upper bound of the doubling delay. Default 30 s. */
  maxDelayMs?: number;
  /** A connection that lasted this long resets the backoff. Default 60 s. */
  stableAfterMs?: number;
}

export interface McpClientManagerOptions {
  servers: readonly McpServerConfigInput[];
  clock?: Clock;
  logger?: Logger;
  /** Per-request timeout for servers that set none. Default 30 s. */
  requestTimeoutMs?: number;
  restart?: McpRestartPolicy;
  /** How this client introduces itself to servers. */
  clientInfo?: { name: string; version: string };
  /**
   * Called after every successful connection, including reconnects and servers that were down
   * at `start()`, so their tools can be registered late. Must not throw.
   */
  onConnected?: (server: string) => void;
}

interface Settings {
  clock: Clock;
  logger: Logger;
  requestTimeoutMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  stableAfterMs: number;
  clientInfo: { name: string; version: string };
  onConnected: ((server: string) => void) | undefined;
}

/** One configured server and its connection lifecycle. */
class McpServerConnection {
  readonly config: McpServerConfig;
  readonly #settings: Settings;
  readonly #logger: Logger;
  #state: McpServerState;
  /** The SDK once the first connection attempt has loaded it. */
  #sdk: McpSdk | undefined;
  #client: Client | undefined;
  #transport: Transport | undefined;
  #tools: McpToolInfo[] = [];
  #connections = 0;
  #failures = 0;
  #lastError: string | undefined;
  #connectedAt = 0;
  #timer: { cancel(): void } | undefined;
  #nextAttemptAt: number | undefined;
  /** The connection attempt in progress; joined by `close()`. */
  #connecting: Promise<void> | undefined;
  #stopping = false;

  constructor(config: McpServerConfig, settings: Settings) {
    this.config = config;
    this.#settings = settings;
    this.#logger = settings.logger.child({ mcpServer: config.name });
    this.#state = config.enabled ? "starting" : "disabled";
  }

  get state(): McpServerState {
    return this.#state;
  }

  get tools(): readonly McpToolInfo[] {
    return this.#tools;
  }

  status(): McpServerStatus {
    const status: McpServerStatus = {
      name: this.config.name,
      transport: this.config.transport.type,
      state: this.#state,
      tools: this.#tools.length,
      restarts: Math.max(0, this.#connections - 1),
      failures: this.#failures,
    };
    if (this.#lastError !== undefined) status.lastError = this.#lastError;
    const transport = this.#transport;
    const pid = this.#sdk !== undefined && transport instanceof this.#sdk.StdioClientTransport ? transport.pid : null;
    if (pid !== null && this.#state === "ready") status.pid = pid;
    if (this.#nextAttemptAt !== undefined && this.#state === "restarting") status.nextAttemptAt = this.#nextAttemptAt;
    return status;
  }

  /** Starts a connection attempt (if none is running) and resolves when it settles; never rejects. */
  connect(): Promise<void> {
    if (this.#stopping || this.#state === "disabled") return Promise.resolve();
    this.#connecting ??= this.#attempt().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #attempt(): Promise<void> {
    const deadline = timeoutSignal(
      this.#settings.clock,
      this.#timeoutMs(),
      `MCP server ${this.config.name} did not finish connecting within ${this.#timeoutMs()} ms`,
    );
    let client: Client | undefined;
    try {
      const sdk = await loadMcpSdk();
      this.#sdk = sdk;
      const created = new sdk.Client(this.#settings.clientInfo, { capabilities: {} });
      client = created;
      const transport = this.#createTransport(sdk);
      created.onerror = (error) => this.#logger.warn("MCP transport error", { error: describe(error) });
      created.onclose = () => this.#onClosed(created);
      await created.connect(transport, { signal: deadline.signal, timeout: SDK_TIMEOUT_DISABLED });
      const tools = await this.#listTools(created, deadline.signal);
      if (this.#stopping) {
        await closeQuietly(created, this.#logger, "server connected while the manager was closing");
        return;
      }
      this.#client = created;
      this.#transport = transport;
      this.#tools = tools;
      this.#connections += 1;
      this.#failures = 0;
      this.#lastError = undefined;
      this.#connectedAt = this.#settings.clock.now();
      this.#state = "ready";
      this.#logger.info("MCP server connected", { tools: tools.length, connection: this.#connections });
      try {
        this.#settings.onConnected?.(this.config.name);
      } catch (hookError) {
        this.#logger.error("the onConnected hook failed; the connection stays up", { error: describe(hookError) });
      }
    } catch (error) {
      const message = deadline.signal.aborted ? abortError(deadline.signal).message : describe(error);
      if (client !== undefined) {
        // Detach first so the close below is not mistaken for a crash of a live connection.
        client.onclose = undefined;
        await closeQuietly(client, this.#logger, "closing a failed connection attempt");
      }
      this.#failures += 1;
      this.#lastError = message;
      this.#logger.warn("MCP server connection failed", { error: message, failures: this.#failures });
      this.#scheduleReconnect();
    } finally {
      deadline.cancel();
    }
  }

  async #listTools(client: Client, signal: AbortSignal): Promise<McpToolInfo[]> {
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, {
        signal,
        timeout: SDK_TIMEOUT_DISABLED,
      });
      for (const tool of page.tools) {
        tools.push({
          name: tool.name,
          description: tool.description,
          inputSchema: tool.inputSchema,
          idempotent: tool.annotations?.readOnlyHint === true || tool.annotations?.idempotentHint === true,
        });
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  }

  #createTransport(sdk: McpSdk): Transport {
    const transport = this.config.transport;
    if (transport.type === "streamable-http") {
      return new sdk.StreamableHTTPClientTransport(new URL(transport.url), {
        requestInit: { headers: transport.headers },
      });
    }
    const stdio = new sdk.StdioClientTransport({
      command: transport.command,
      args: transport.args,
      env: transport.env,
      ...(transport.cwd === undefined ? {} : { cwd: transport.cwd }),
      stderr: "pipe",
    });
    // Piped (not inherited) so a chatty server cannot scribble over the kernel's output;
    // reading it keeps the pipe from filling up and stalling the server.
    stdio.stderr?.on("data", (chunk: Uint8Array) => {
      this.#logger.debug("MCP server stderr", { text: new TextDecoder().decode(chunk).trimEnd() });
    });
    return stdio;
  }

  #onClosed(client: Client): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#transport = undefined;
    if (this.#stopping) {
      this.#state = "stopped";
      return;
    }
    this.#lastError = "the server closed the connection (crashed or exited)";
    this.#logger.warn("MCP server connection closed; reconnecting with backoff");
    if (this.#settings.clock.now() - this.#connectedAt >= this.#settings.stableAfterMs) this.#failures = 0;
    this.#failures += 1;
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopping) {
      this.#state = "stopped";
      return;
    }
    this.#state = "restarting";
    const exponent = Math.max(0, this.#failures - 1);
    const delay = Math.min(this.#settings.initialDelayMs * 2 ** exponent, this.#settings.maxDelayMs);
    this.#timer?.cancel();
    this.#nextAttemptAt = this.#settings.clock.now() + delay;
    this.#timer = this.#settings.clock.setTimer(() => {
      this.#timer = undefined;
      this.#nextAttemptAt = undefined;
      // Owned: the attempt is kept in #connecting, joined by close(), and never rejects.
      void this.connect();
    }, delay);
  }

  #timeoutMs(): number {
    return this.config.requestTimeoutMs ?? this.#settings.requestTimeoutMs;
  }

  async callTool(tool: string, args: Record<string, unknown>, signal: AbortSignal | undefined): Promise<McpCallOutput> {
    const client = this.#client;
    const sdk = this.#sdk;
    if (client === undefined || sdk === undefined || this.#state !== "ready") throw this.#unavailable();
    if (signal?.aborted) throw abortError(signal);
    const timeoutMs = this.#timeoutMs();
    const deadline = timeoutSignal(
      this.#settings.clock,
      timeoutMs,
      `MCP server ${this.config.name} did not answer ${tool} within ${timeoutMs} ms`,
    );
    // A fresh combined signal per call: the SDK adds an abort listener it never removes.
    const combined = anySignal([signal, deadline.signal]);
    try {
      const result = await client.callTool({ name: tool, arguments: args }, undefined, {
        signal: combined,
        timeout: SDK_TIMEOUT_DISABLED,
      });
      const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
      if (result.isError === true) {
        throw new KernelError(McpErrorCode.toolError, `${this.config.name}/${tool} failed: ${textOf(content)}`, {
          details: { server: this.config.name, tool, content },
        });
      }
      const output: McpCallOutput = { content };
      if (result.structuredContent !== undefined) {
        output.structuredContent = result.structuredContent as Record<string, unknown>;
      }
      return output;
    } catch (error) {
      if (KernelError.isInstance(error)) throw error;
      if (signal?.aborted) throw abortError(signal);
      if (deadline.signal.aborted) {
        throw new KernelError(McpErrorCode.timeout, abortError(deadline.signal).message, {
          cause: error,
          details: { server: this.config.name, tool, timeoutMs },
        });
      }
      if (client !== this.#client || isConnectionLoss(sdk, error)) {
        throw this.#unavailable(error);
      }
      throw new KernelError(McpErrorCode.toolError, `${this.config.name}/${tool}: ${describe(error)}`, {
        cause: error,
        details: { server: this.config.name, tool, mcpCode: error instanceof sdk.McpError ? error.code : undefined },
      });
    } finally {
      deadline.cancel();
    }
  }

  #unavailable(cause?: unknown): KernelError {
    const why = this.#lastError === undefined ? "" : `: ${this.#lastError}`;
    return new KernelError(
      McpErrorCode.serverUnavailable,
      `MCP server ${this.config.name} is unavailable (${this.#state})${why}`,
      { cause, details: { server: this.config.name, state: this.#state } },
    );
  }

  async close(): Promise<void> {
    this.#stopping = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#connecting;
    const client = this.#client;
    this.#client = undefined;
    this.#transport = undefined;
    if (this.#state !== "disabled") this.#state = "stopped";
    if (client !== undefined) await closeQuietly(client, this.#logger, "manager closing");
  }
}

function isConnectionLoss(sdk: McpSdk, error: unknown): boolean {
  if (error instanceof sdk.McpError) return error.code === sdk.ErrorCode.ConnectionClosed;
  // fetch failures of Streamable HTTP and writes to a dead stdio pipe.
  if (error instanceof TypeError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EPIPE" || code === "ECONNREFUSED" || code === "ECONNRESET" || code === "ERR_STREAM_DESTROYED";
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function textOf(content: unknown[]): string {
  const texts = content
    .map((block) => (block as { type?: unknown; text?: unknown }).text)
    .filter((text): text is string => typeof text === "string");
  return texts.length === 0 ? "the server reported an error" : texts.join("\n").slice(0, 2000);
}

async function closeQuietly(client: Client, logger: Logger, why: string): Promise<void> {
  try {
    await client.close();
  } catch (error) {
    logger.debug("closing an MCP client failed; it is discarded anyway", { why, error: describe(error) });
  }
}

/** A JSON Schema object for MCP tools as a zod schema the gate validates with. */
function inputSchemaOf(schema: Record<string, unknown>, logger: Logger, name: string): z.ZodType {
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    // The server still validates its own input; the gate then only checks it is an object.
    logger.warn("MCP tool schema could not be converted; the gate checks only that input is an object", {
      tool: name,
      error: describe(error),
    });
    return z.record(z.string(), z.unknown());
  }
}

/**
 * The MCP servers of one kernel. `start()` makes the first connection attempt to each
 * enabled server; `tools()` then gives the Oxios tools to register with a `ToolRegistry`.
 */
export class McpClientManager {
  readonly #connections = new Map<string, McpServerConnection>();
  readonly #settings: Settings;

  constructor(options: McpClientManagerOptions) {
    this.#settings = {
      clock: options.clock ?? systemClock,
      logger: options.logger ?? createConsoleLogger({ level: "warn" }),
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      initialDelayMs: options.restart?.initialDelayMs ?? 500,
      maxDelayMs: options.restart?.maxDelayMs ?? 30_000,
      stableAfterMs: options.restart?.stableAfterMs ?? 60_000,
      clientInfo: options.clientInfo ?? { name: "oxios", version: "0.1.0" },
      onConnected: options.onConnected,
    };
    for (const config of parseMcpServers(options.servers)) {
      this.#connections.set(config.name, new McpServerConnection(config, this.#settings));
    }
  }

  /** Connects every enabled server (concurrently). A server that fails is retried with backoff; this never rejects. */
  async start(): Promise<void> {
    await Promise.all([...this.#connections.values()].map((connection) => connection.connect()));
  }

  /** Every configured server with its state, for the kernel to show. */
  listServers(): McpServerStatus[] {
    return [...this.#connections.values()].map((connection) => connection.status());
  }

  /**
   * Calls `tool` on `server`. Fails with `MCP_SERVER_UNKNOWN`, `MCP_SERVER_UNAVAILABLE`,
   * `MCP_TIMEOUT`, `MCP_TOOL_FAILED`, or `ABORTED` when `signal` aborts (the server is sent
   * `notifications/cancelled`).
   */
  callTool(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    options: { signal?: AbortSignal } = {},
  ): Promise<McpCallOutput> {
    const connection = this.#connections.get(server);
    if (connection === undefined) {
      return Promise.reject(new KernelError(McpErrorCode.serverUnknown, `no MCP server named ${server}`));
    }
    return connection.callTool(tool, args, options.signal);
  }

  /**
   * The tools of every server that has connected, as gated Oxios tools (family `mcp`; those
   * of Streamable HTTP servers also declare network use). Register them after `start()`.
   */
  tools(): AnyTool[] {
    const tools: AnyTool[] = [];
    for (const connection of this.#connections.values()) {
      const server = connection.config.name;
      const network = connection.config.transport.type === "streamable-http";
      for (const info of connection.tools) {
        const name = mcpToolName(server, info.name);
        tools.push(
          defineTool({
            name,
            description:
              info.description === undefined || info.description.trim() === ""
                ? `${info.name} (from the MCP server ${server})`
                : info.description,
            input: inputSchemaOf(info.inputSchema, this.#settings.logger, name),
            jsonSchema: info.inputSchema,
            family: "mcp",
            idempotent: info.idempotent,
            access: () => (network ? { network: true } : {}),
            execute: async (input, context) => ({
              output: await this.callTool(server, info.name, input as Record<string, unknown>, {
                signal: context.signal,
              }),
            }),
          }),
        );
      }
    }
    return tools;
  }

  /** Stops reconnecting and closes every connection (stdio servers get SIGTERM, then SIGKILL). */
  async close(): Promise<void> {
    await Promise.all([...this.#connections.values()].map((connection) => connection.close()));
  }
}
