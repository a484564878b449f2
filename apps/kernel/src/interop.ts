/**
 * The kernel's interop tools: MCP servers from the configuration (started at boot; a server
 * that fails is logged and shown as unavailable, never fatal), remote A2A agents and the
 * `a2a_*` tools, and the browser (one Chromium per kernel, one context per agent, closed
 * when the agent's run ends). Every tool is registered in the kernel's registry, so each
 * call passes the access gate.
 */

import { type Clock, KernelError, type Logger } from "@oxios/core";
import type { EventBus } from "@oxios/event-bus";
import type { ToolRegistry } from "@oxios/tools";
import { A2aAgents, a2aTools } from "@oxios/tools/a2a";
import { BrowserManager, browserTools } from "@oxios/tools/browser";
import { McpClientManager, type McpServerStatus } from "@oxios/tools/mcp";
import type { KernelConfig } from "./config.ts";

export interface RemoteAgentStatus {
  url: string;
  state: "ready" | "unavailable";
  name?: string;
  error?: string;
}

export interface InteropStatus {
  mcp: McpServerStatus[];
  a2a: RemoteAgentStatus[];
  browser: { enabled: boolean; reason: string };
}

export class Interop {
  readonly mcp: McpClientManager;
  readonly agents: A2aAgents;
  readonly browser: BrowserManager | undefined;
  readonly #config: KernelConfig;
  readonly #logger: Logger;
  readonly #remote: RemoteAgentStatus[] = [];
  /** Browser contexts being closed after their agents' runs ended; joined at shutdown. */
  readonly #closing = new Set<Promise<void>>();
  #unsubscribe: (() => void) | undefined;
  /** The registry once `start` has run; MCP servers that connect later add their tools to it. */
  #registry: ToolRegistry | undefined;
  readonly #registered = new Set<string>();

  constructor(options: { config: KernelConfig; clock: Clock; logger: Logger; version: string }) {
    const { config, clock, logger } = options;
    this.#config = config;
    this.#logger = logger;
    this.mcp = new McpClientManager({
      clock,
      logger: logger.child({ module: "mcp" }),
      servers: config.mcpServers,
      clientInfo: { name: "oxios", version: options.version },
      onConnected: (server) => this.#registerMcpTools(server),
    });
    this.agents = new A2aAgents({ clock, logger: logger.child({ module: "a2a" }) });
    this.browser = config.browser.enabled
      ? new BrowserManager({
          clock,
          logger: logger.child({ module: "browser" }),
          executablePath: config.browser.executablePath,
        })
      : undefined;
  }

  /**
   * Connects the MCP servers and fetches the remote agents' cards (neither failure is
   * fatal), then registers the tools and closes an agent's browser context when its run ends.
   */
  async start(tools: ToolRegistry, bus: EventBus): Promise<void> {
    await this.mcp.start();
    for (const server of this.mcp.listServers()) {
      if (server.state === "ready") {
        this.#logger.info("MCP server ready", { server: server.name, tools: server.tools });
      } else if (server.state !== "disabled") {
        this.#logger.warn(
          "MCP server unavailable at boot; retrying with backoff (its tools are offered once it connects)",
          {
            server: server.name,
            state: server.state,
            error: server.lastError,
          },
        );
      }
    }
    await Promise.all(this.#config.a2aAgents.map((url) => this.#addRemote(url)));
    this.#registry = tools;
    this.#registerMcpTools();
    tools.register(...a2aTools(this.agents));
    const browser = this.browser;
    this.#logger.info("browser", { enabled: browser !== undefined, reason: this.#config.browser.reason });
    if (browser === undefined) return;
    tools.register(...browserTools(browser));
    this.#unsubscribe = bus.on(
      ["agent.completed", "agent.failed", "agent.stopped"],
      (event) => {
        const agentId = (event.payload as { agentId: string }).agentId;
        const closing = browser.closeAgent(agentId).finally(() => this.#closing.delete(closing));
        this.#closing.add(closing);
      },
      { name: "browser-close-agent" },
    );
  }

  /** Registers the tools of connected MCP servers not registered yet (a server that came up late). */
  #registerMcpTools(server?: string): void {
    const registry = this.#registry;
    if (registry === undefined) return;
    const fresh = this.mcp.tools().filter((tool) => !this.#registered.has(tool.name));
    for (const tool of fresh) this.#registered.add(tool.name);
    if (fresh.length === 0) return;
    registry.register(...fresh);
    if (server !== undefined) {
      this.#logger.info("MCP server came up; its tools are offered now", { server, tools: fresh.length });
    }
  }

  async #addRemote(url: string): Promise<void> {
    try {
      const token = this.#config.a2aTokens[url];
      const card = await this.agents.addRemote(
        url,
        token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
      );
      this.#remote.push({ url, state: "ready", name: card.name });
      this.#logger.info("A2A agent added", { url, name: card.name, skills: card.skills.length });
    } catch (error) {
      const failure = KernelError.from(error);
      this.#remote.push({ url, state: "unavailable", error: `${failure.code}: ${failure.message}` });
      this.#logger.warn("A2A agent unavailable at boot (a2a_send by URL can still reach it later)", {
        url,
        error: failure.toJSON(),
      });
    }
  }

  /** `ready`, `degraded (n/m servers ready)` or `none configured`, for the module list. */
  mcpState(): string {
    const servers = this.mcp.listServers().filter((server) => server.state !== "disabled");
    if (servers.length === 0) return "none configured";
    const ready = servers.filter((server) => server.state === "ready").length;
    return ready === servers.length ? "ready" : `degraded (${ready}/${servers.length} servers ready)`;
  }

  status(): InteropStatus {
    return {
      mcp: this.mcp.listServers(),
      a2a: [...this.#remote],
      browser: { enabled: this.browser !== undefined, reason: this.#config.browser.reason },
    };
  }

  /** Closes the MCP clients (their stdio servers exit) and the browser. */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    await Promise.all([...this.#closing]);
    await this.mcp.close();
    await this.browser?.close();
  }
}
