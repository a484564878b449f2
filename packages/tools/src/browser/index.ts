/**
 * @module @oxios/tools/browser — a real browser for agents: the system Chromium driven by
 * playwright-core, one context per agent, an SSRF guard on every request, deadlines on the
 * Clock and abort on every action, and the `browser_*` tools.
 */

export { BrowserErrorCode } from "../error-codes.ts";
export { BrowserManager, type BrowserManagerOptions, CHROMIUM_FLAGS } from "./browser-manager.ts";
export { browserTools } from "./browser-tools.ts";
export { addressRefusal, checkUrl, parseBrowserUrl, type SsrfPolicy } from "./ssrf-guard.ts";
