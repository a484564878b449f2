/**
 * One Chromium per kernel, driven by playwright-core: the system browser
 * (`/usr/bin/chromium`, launched lazily with a fresh temporary profile), one browser context
 * per agent (closed by `closeAgent` when the agent ends), one page per context (created once,
 * even when actions of one agent run in parallel). Every action
 * runs under a deadline on the injected Clock and the call's abort signal; when either fires,
 * the agent's page is closed so the work in Chromium really stops, and the next action opens a
 * fresh page. Every request a page makes passes the SSRF guard.
 */

import { constants } from "node:fs";
import { access } from "node:fs/promises";
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
import type { Browser, BrowserContext, Page } from "playwright-core";
import { BrowserErrorCode } from "../error-codes.ts";
import { raceAbort } from "../race-abort.ts";
import { checkUrl, type SsrfPolicy } from "./ssrf-guard.ts";

/** The flags the system Chromium runs with (headless, no sandbox for containers, quiet). */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface BrowserManagerOptions {
  /** Default `/usr/bin/chromium`. */
  executablePath?: string;
  clock?: Clock;
  logger?: Logger;
  ssrf?: SsrfPolicy;
  /** Deadline for a navigation (goto, browse). Default 30 s. */
  navigationTimeoutMs?: number;
  /** Deadline for other actions (click, type, wait_for…). Default 10 s. */
  actionTimeoutMs?: number;
  /** Longest text an action returns (Markdown, content, evaluate). Default 50 000 characters. */
  maxContentChars?: number;
}

interface AgentBrowser {
  context: BrowserContext;
  /**
   * The agent's page, memoised as a promise so parallel actions of one agent share the page
   * being created instead of each opening one. `value` is set once it exists.
   */
  page?: { promise: Promise<Page>; value?: Page };
}

export class BrowserManager {
  readonly executablePath: string;
  readonly ssrf: SsrfPolicy;
  readonly navigationTimeoutMs: number;
  readonly actionTimeoutMs: number;
  readonly maxContentChars: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #browser: Promise<Browser> | undefined;
  readonly #agents = new Map<string, Promise<AgentBrowser>>();
  readonly #discarded = new WeakSet<Page>();
  #closed = false;

  constructor(options: BrowserManagerOptions = {}) {
    this.executablePath = options.executablePath ?? "/usr/bin/chromium";
    this.ssrf = options.ssrf ?? {};
    this.navigationTimeoutMs = options.navigationTimeoutMs ?? 30_000;
    this.actionTimeoutMs = options.actionTimeoutMs ?? 10_000;
    this.maxContentChars = options.maxContentChars ?? 50_000;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? createConsoleLogger({ level: "warn" });
  }

  /** Runs `action` on the agent's page under a deadline and `signal`. */
  async run<T>(
    agentId: string,
    options: { signal: AbortSignal; timeoutMs: number; what: string },
    action: (page: Page) => Promise<T>,
  ): Promise<T> {
    if (options.signal.aborted) throw abortError(options.signal);
    const deadline = timeoutSignal(
      this.#clock,
      options.timeoutMs,
      `${options.what} did not finish within ${options.timeoutMs} ms`,
    );
    const signal = anySignal([options.signal, deadline.signal]);
    let page: Page | undefined;
    // Marked synchronously on abort: the gate answers the caller at once, and the agent's next
    // action must get a fresh page even while this one is still closing.
    const discard = (): void => {
      if (page !== undefined) this.#discarded.add(page);
    };
    signal.addEventListener("abort", discard, { once: true });
    try {
      page = await raceAbort(this.#page(agentId), signal, this.#logger);
      return await raceAbort(action(page), signal, this.#logger);
    } catch (error) {
      if (signal.aborted) {
        // Closing the page is what stops a navigation or a wait inside Chromium.
        if (page !== undefined) await this.#discardPage(agentId, page);
        if (options.signal.aborted) throw abortError(options.signal);
        throw new KernelError(BrowserErrorCode.timeout, abortError(deadline.signal).message, {
          details: { timeoutMs: options.timeoutMs },
        });
      }
      throw browserError(error, options.what);
    } finally {
      signal.removeEventListener("abort", discard);
      deadline.cancel();
    }
  }

  /** Checks a URL against the scheme rule and the SSRF guard (resolving the host). */
  checkUrl(url: string): Promise<URL> {
    return checkUrl(url, this.ssrf);
  }

  /** Closes the agent's context (its pages, cookies, storage). Call it when the agent ends. */
  async closeAgent(agentId: string): Promise<void> {
    const entry = this.#agents.get(agentId);
    if (entry === undefined) return;
    this.#agents.delete(agentId);
    try {
      await (await entry).context.close();
    } catch (error) {
      this.#logger.warn("closing an agent's browser context failed", { agentId, error: describe(error) });
    }
  }

  /** Closes every context and the browser. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#agents.keys()].map((agentId) => this.closeAgent(agentId)));
    const browser = this.#browser;
    this.#browser = undefined;
    if (browser === undefined) return;
    try {
      await (await browser).close();
    } catch (error) {
      this.#logger.warn("closing the browser failed", { error: describe(error) });
    }
  }

  async #launch(): Promise<Browser> {
    try {
      await access(this.executablePath, constants.X_OK);
    } catch (error) {
      throw new KernelError(
        BrowserErrorCode.unavailable,
        `Chromium is not installed at ${this.executablePath}; install it with \`apt-get install chromium\` (Debian/Ubuntu) or configure browser.executablePath`,
        { cause: error, details: { executablePath: this.executablePath } },
      );
    }
    try {
      // playwright gives every launch a new, empty temporary profile directory.
      // playwright-core is loaded on first launch: importing it costs ~0.7 s and ~100 MB, which a
      // kernel that never browses should not pay at boot.
      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({
        executablePath: this.executablePath,
        headless: true,
        args: [...CHROMIUM_FLAGS],
        timeout: 60_000,
      });
      browser.on("disconnected", () => {
        this.#logger.warn("the browser disconnected; the next action starts a new one");
        this.#browser = undefined;
        this.#agents.clear();
      });
      return browser;
    } catch (error) {
      throw new KernelError(
        BrowserErrorCode.unavailable,
        `Chromium at ${this.executablePath} did not start: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  #browserOnce(): Promise<Browser> {
    if (this.#closed)
      return Promise.reject(new KernelError(BrowserErrorCode.unavailable, "the browser manager is closed"));
    this.#browser ??= this.#launch().catch((error: unknown) => {
      this.#browser = undefined;
      throw error;
    });
    return this.#browser;
  }

  #agent(agentId: string): Promise<AgentBrowser> {
    let entry = this.#agents.get(agentId);
    if (entry === undefined) {
      entry = this.#createContext(agentId).catch((error: unknown) => {
        this.#agents.delete(agentId);
        throw error;
      });
      this.#agents.set(agentId, entry);
    }
    return entry;
  }

  async #createContext(agentId: string): Promise<AgentBrowser> {
    const browser = await this.#browserOnce();
    const context = await browser.newContext({ acceptDownloads: false, serviceWorkers: "block" });
    await context.route("**/*", async (route) => {
      const url = route.request().url();
      const protocol = url.slice(0, url.indexOf(":") + 1);
      try {
        if (protocol === "data:" || protocol === "blob:") return await route.continue();
        await checkUrl(url, this.ssrf);
        await route.continue();
      } catch (error) {
        this.#logger.info("browser request blocked", { agentId, url, reason: describe(error) });
        await route.abort("blockedbyclient");
      }
    });
    return { context };
  }

  async #page(agentId: string): Promise<Page> {
    const agent = await this.#agent(agentId);
    const current = agent.page;
    if (current !== undefined && (current.value === undefined || this.#usable(current.value))) return current.promise;
    const slot: { promise: Promise<Page>; value?: Page } = {
      promise: agent.context.newPage().then(
        (page) => {
          // Deadlines run on the Clock (BrowserManager.run); playwright's own timers stay out of the way.
          page.setDefaultNavigationTimeout(0);
          page.setDefaultTimeout(0);
          slot.value = page;
          return page;
        },
        (error: unknown) => {
          if (agent.page === slot) agent.page = undefined;
          throw error;
        },
      ),
    };
    agent.page = slot;
    return slot.promise;
  }

  #usable(page: Page): boolean {
    return !page.isClosed() && !this.#discarded.has(page);
  }

  async #discardPage(agentId: string, page: Page): Promise<void> {
    try {
      await page.close();
    } catch (error) {
      this.#logger.debug("closing an interrupted page failed", { agentId, error: describe(error) });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function browserError(error: unknown, what: string): KernelError {
  if (KernelError.isInstance(error)) return error;
  const message = describe(error);
  if (message.includes("ERR_BLOCKED_BY_CLIENT")) {
    return new KernelError(BrowserErrorCode.urlBlocked, `${what}: a request was blocked by the SSRF guard`, {
      cause: error,
    });
  }
  if ((error as { name?: unknown } | null)?.name === "TimeoutError") {
    return new KernelError(BrowserErrorCode.timeout, `${what}: ${message.split("\n")[0]}`, { cause: error });
  }
  return new KernelError(BrowserErrorCode.failed, `${what}: ${message.split("\n")[0]}`, { cause: error });
}
