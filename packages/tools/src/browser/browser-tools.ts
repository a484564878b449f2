/**
 * The browser tools: `browser_browse` (URL → readable Markdown), `browser_goto`,
 * `browser_click`, `browser_type`, `browser_press`, `browser_content`, `browser_evaluate`,
 * `browser_query_all`, `browser_wait_for`, `browser_screenshot`. Family `browser`, network
 * use declared; URLs pass the scheme rule and the SSRF guard before the page sees them, and
 * screenshots are written only to paths the gate allowed.
 */

import { writeFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { z } from "zod";
import { fsError } from "../errors.ts";
import { type AnyTool, defineTool, type ToolContext } from "../tool.ts";
import type { BrowserManager } from "./browser-manager.ts";

/** Runs in the page: the main content as Markdown (headings, paragraphs, links, lists, code). */
const MARKDOWN_SCRIPT = `(() => {
  const skip = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "SVG", "CANVAS", "IFRAME", "NAV", "FOOTER", "HEAD"]);
  const root = document.querySelector("main, article, [role=main]") || document.body || document.documentElement;
  const inline = (node) => {
    if (node.nodeType === 3) return node.textContent.replace(/\\s+/g, " ");
    if (node.nodeType !== 1 || skip.has(node.tagName)) return "";
    const inner = Array.from(node.childNodes).map(inline).join("");
    switch (node.tagName) {
      case "A": { const href = node.getAttribute("href"); return href && !href.startsWith("javascript:") ? "[" + inner.trim() + "](" + node.href + ")" : inner; }
      case "STRONG": case "B": return inner.trim() ? "**" + inner.trim() + "**" : "";
      case "EM": case "I": return inner.trim() ? "*" + inner.trim() + "*" : "";
      case "CODE": return "\`" + node.textContent + "\`";
      case "BR": return "\\n";
      case "IMG": return node.alt ? "![" + node.alt + "]" : "";
      default: return inner;
    }
  };
  const blocks = [];
  const block = (node) => {
    if (node.nodeType === 3) { const text = node.textContent.replace(/\\s+/g, " ").trim(); if (text) blocks.push(text); return; }
    if (node.nodeType !== 1 || skip.has(node.tagName)) return;
    const style = window.getComputedStyle(node);
    if (style.display === "none" || style.visibility === "hidden") return;
    const tag = node.tagName;
    if (/^H[1-6]$/.test(tag)) { blocks.push("#".repeat(Number(tag[1])) + " " + inline(node).trim()); return; }
    if (tag === "P" || tag === "BLOCKQUOTE" || tag === "BUTTON" || tag === "LABEL") { const text = inline(node).trim(); if (text) blocks.push(tag === "BLOCKQUOTE" ? "> " + text : text); return; }
    if (tag === "PRE") { blocks.push("\`\`\`\\n" + node.textContent.replace(/\\n$/, "") + "\\n\`\`\`"); return; }
    if (tag === "UL" || tag === "OL") {
      let index = 0;
      for (const item of node.children) { if (item.tagName !== "LI") continue; index += 1; blocks.push((tag === "OL" ? index + ". " : "- ") + inline(item).trim()); }
      return;
    }
    if (tag === "TABLE") {
      for (const row of node.querySelectorAll("tr")) blocks.push("| " + Array.from(row.children).map((cell) => inline(cell).trim()).join(" | ") + " |");
      return;
    }
    const hasBlockChild = Array.from(node.children).some((child) => !["A", "STRONG", "B", "EM", "I", "CODE", "SPAN", "BR", "IMG", "SMALL", "SUP", "SUB"].includes(child.tagName));
    if (!hasBlockChild) { const text = inline(node).trim(); if (text) blocks.push(text); return; }
    for (const child of node.childNodes) block(child);
  };
  block(root);
  return { title: document.title, url: location.href, markdown: blocks.join("\\n\\n") };
})()`;

interface Readable {
  title: string;
  url: string;
  markdown: string;
}

function cap(text: string, max: number): { text: string; truncated: boolean } {
  return text.length > max ? { text: text.slice(0, max), truncated: true } : { text, truncated: false };
}

const url = z.string().min(1).describe("An http(s) URL");
const selector = z.string().min(1).describe("A CSS or playwright selector");

export function browserTools(browser: BrowserManager): AnyTool[] {
  const navigation = (context: ToolContext, what: string) => ({
    signal: context.signal,
    timeoutMs: browser.navigationTimeoutMs,
    what,
  });
  const action = (context: ToolContext, what: string, timeoutMs = browser.actionTimeoutMs) => ({
    signal: context.signal,
    timeoutMs,
    what,
  });
  const readable = async (page: Page, maxChars: number): Promise<{ output: Readable; truncated: boolean }> => {
    const result = (await page.evaluate(MARKDOWN_SCRIPT)) as Readable;
    const capped = cap(result.markdown, maxChars);
    return { output: { ...result, markdown: capped.text }, truncated: capped.truncated };
  };
  const goto = async (page: Page, target: string) => {
    const response = await page.goto(target, { waitUntil: "load" });
    return { url: page.url(), title: await page.title(), status: response?.status() ?? null };
  };
  const base = { family: "browser" as const, access: () => ({ network: true }) };
  const maxChars = z.number().int().min(100).max(1_000_000).optional();

  return [
    defineTool({
      ...base,
      name: "browser_browse",
      description: "Open a web page and return its readable content as Markdown (capped).",
      input: z.object({ url, maxChars }),
      execute: async (input, context) => {
        const checked = await browser.checkUrl(input.url);
        return browser.run(context.agent.agentId, navigation(context, `browse ${checked.href}`), async (page) => {
          await goto(page, checked.href);
          return readable(page, input.maxChars ?? browser.maxContentChars);
        });
      },
    }),
    defineTool({
      ...base,
      name: "browser_goto",
      description: "Navigate the agent's browser page to a URL; returns the final URL, title and HTTP status.",
      input: z.object({ url }),
      execute: async (input, context) => {
        const checked = await browser.checkUrl(input.url);
        return {
          output: await browser.run(context.agent.agentId, navigation(context, `goto ${checked.href}`), (page) =>
            goto(page, checked.href),
          ),
        };
      },
    }),
    defineTool({
      ...base,
      name: "browser_click",
      description: "Click the element matching a selector on the current page.",
      input: z.object({ selector }),
      execute: async (input, context) => {
        await browser.run(context.agent.agentId, action(context, `click ${input.selector}`), (page) =>
          page.click(input.selector, { timeout: browser.actionTimeoutMs }),
        );
        return { output: { clicked: input.selector } };
      },
    }),
    defineTool({
      ...base,
      name: "browser_type",
      description: "Type text into the input matching a selector (replacing its value).",
      input: z.object({ selector, text: z.string() }),
      execute: async (input, context) => {
        await browser.run(context.agent.agentId, action(context, `type into ${input.selector}`), (page) =>
          page.fill(input.selector, input.text, { timeout: browser.actionTimeoutMs }),
        );
        return { output: { typed: input.text.length } };
      },
    }),
    defineTool({
      ...base,
      name: "browser_press",
      description: "Press a key (e.g. Enter, Tab, ArrowDown) on the page or on the element matching a selector.",
      input: z.object({ key: z.string().min(1), selector: selector.optional() }),
      execute: async (input, context) => {
        await browser.run(context.agent.agentId, action(context, `press ${input.key}`), (page) =>
          input.selector === undefined
            ? page.keyboard.press(input.key)
            : page.press(input.selector, input.key, { timeout: browser.actionTimeoutMs }),
        );
        return { output: { pressed: input.key } };
      },
    }),
    defineTool({
      ...base,
      name: "browser_content",
      description: "The current page's readable content as Markdown (capped), with its URL and title.",
      input: z.object({ maxChars }),
      execute: (input, context) =>
        browser.run(context.agent.agentId, action(context, "content"), (page) =>
          readable(page, input.maxChars ?? browser.maxContentChars),
        ),
    }),
    defineTool({
      ...base,
      name: "browser_evaluate",
      description: "Evaluate a JavaScript expression in the current page and return its JSON-serializable result.",
      input: z.object({ expression: z.string().min(1) }),
      execute: async (input, context) => {
        const value = await browser.run(context.agent.agentId, action(context, "evaluate"), (page) =>
          page.evaluate(
            `(async () => { const value = await (${input.expression}); return JSON.stringify(value === undefined ? null : value); })()`,
          ),
        );
        const capped = cap(String(value), browser.maxContentChars);
        return { output: capped.truncated ? capped.text : JSON.parse(capped.text), truncated: capped.truncated };
      },
    }),
    defineTool({
      ...base,
      name: "browser_query_all",
      description: "List the elements matching a selector: tag, visible text, and href when present.",
      input: z.object({ selector, limit: z.number().int().min(1).max(500).default(50) }),
      execute: async (input, context) => {
        const found = await browser.run(context.agent.agentId, action(context, `query ${input.selector}`), (page) =>
          page.locator(input.selector).evaluateAll(
            (elements, limit) =>
              elements.slice(0, limit).map((element) => {
                const node = element as unknown as {
                  tagName: string;
                  innerText?: string;
                  textContent: string | null;
                  getAttribute(name: string): string | null;
                };
                return {
                  tag: node.tagName.toLowerCase(),
                  // innerText, not textContent: the text as rendered, without hidden parts.
                  // biome-ignore lint/performance/useDomNodeTextContent: rendered text is the point
                  text: (node.innerText ?? node.textContent ?? "").trim().slice(0, 500),
                  href: node.getAttribute("href"),
                };
              }),
            input.limit,
          ),
        );
        return { output: found };
      },
    }),
    defineTool({
      ...base,
      name: "browser_wait_for",
      description: "Wait until an element matching a selector is visible (or attached, or hidden).",
      input: z.object({
        selector,
        state: z.enum(["visible", "attached", "hidden", "detached"]).default("visible"),
        timeoutMs: z.number().int().min(1).max(120_000).optional(),
      }),
      execute: async (input, context) => {
        const timeoutMs = input.timeoutMs ?? browser.actionTimeoutMs;
        await browser.run(context.agent.agentId, action(context, `wait for ${input.selector}`, timeoutMs), (page) =>
          page.waitForSelector(input.selector, { state: input.state, timeout: timeoutMs }),
        );
        return { output: { selector: input.selector, state: input.state } };
      },
    }),
    defineTool({
      ...base,
      name: "browser_screenshot",
      description: "Save a PNG screenshot of the current page to a file in the workspace.",
      input: z.object({ path: z.string().min(1), fullPage: z.boolean().default(false) }),
      access: (input) => ({ network: true, paths: [{ path: input.path, access: "write" }] }),
      execute: async (input, context) => {
        const target = await context.paths.resolve(input.path, "write");
        const image = await browser.run(context.agent.agentId, action(context, "screenshot"), (page) =>
          page.screenshot({ type: "png", fullPage: input.fullPage }),
        );
        try {
          await writeFile(target, image, { signal: context.signal });
        } catch (error) {
          throw fsError(error, input.path);
        }
        return { output: { path: context.paths.display(target), bytes: image.byteLength } };
      },
    }),
  ];
}
