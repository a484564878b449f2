import { readFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createMemoryLogger } from "@oxios/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolSession } from "../registry.ts";
import { createHarness, errorCode, type Harness, okOutput, waitFor } from "../test-harness.ts";
import { BrowserManager } from "./browser-manager.ts";
import { browserTools } from "./browser-tools.ts";
import { addressRefusal, checkUrl } from "./ssrf-guard.ts";

const PAGE = `<!doctype html><html><head><title>Test page</title></head><body>
<main><h1>Hello</h1><p>Some <strong>bold</strong> text and <a href="/other">a link</a>.</p>
<ul><li>one</li><li>two</li></ul>
<input id="name"><button id="go" onclick="document.getElementById('out').textContent = 'Hi ' + document.getElementById('name').value">Go</button>
<p id="out">waiting</p></main></body></html>`;

let h: Harness;
let browser: BrowserManager;
let session: ToolSession;
let server: Server;
let base: string;
const hanging: ServerResponse[] = [];
let neverRequests = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === "/never") {
      neverRequests += 1;
      hanging.push(response);
      return;
    }
    response.writeHead(200, { "content-type": "text/html" });
    response.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  h = await createHarness();
  browser = new BrowserManager({ clock: h.clock, logger: h.logger, ssrf: { allowLoopback: true } });
  h.registry.register(...browserTools(browser));
  session = await h.sessionFor({ permissions: { network: true } });
});

afterAll(async () => {
  await browser?.close();
  for (const response of hanging) response.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await h?.cleanup();
});

describe("browser tools on the system Chromium", () => {
  it("browses a page to Markdown, clicks a button and reads the changed text", async () => {
    const page = okOutput<{ title: string; markdown: string }>(
      await session.execute("browser_browse", { url: `${base}/` }),
    );
    expect(page.title).toBe("Test page");
    expect(page.markdown).toContain("# Hello");
    expect(page.markdown).toContain("**bold**");
    expect(page.markdown).toContain(`[a link](${base}/other)`);
    expect(page.markdown).toContain("- two");

    okOutput(await session.execute("browser_type", { selector: "#name", text: "Ada" }));
    okOutput(await session.execute("browser_click", { selector: "#go" }));
    expect(
      okOutput(await session.execute("browser_evaluate", { expression: "document.querySelector('#out').textContent" })),
    ).toBe("Hi Ada");
    const items = okOutput<Array<{ tag: string; text: string }>>(
      await session.execute("browser_query_all", { selector: "li" }),
    );
    expect(items.map((item) => item.text)).toEqual(["one", "two"]);
    okOutput(await session.execute("browser_wait_for", { selector: "#out" }));
    okOutput(await session.execute("browser_press", { key: "Tab" }));
    const content = okOutput<{ markdown: string }>(await session.execute("browser_content", { maxChars: 100 }));
    expect(content.markdown.length).toBeLessThanOrEqual(100);
  });

  it("writes a PNG screenshot into the workspace, through the gate's path check", async () => {
    const shot = okOutput<{ path: string; bytes: number }>(
      await session.execute("browser_screenshot", { path: "shot.png" }),
    );
    expect(shot.path).toBe("shot.png");
    const bytes = await readFile(join(h.workspace, "shot.png"));
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(errorCode(await session.execute("browser_screenshot", { path: "/etc/shot.png" }))).toBe("TOOL_PATH_DENIED");
  });

  it("a page that never finishes loading times out on the Clock, and the page is usable again", async () => {
    const before = neverRequests;
    const call = session.execute("browser_goto", { url: `${base}/never` });
    await waitFor(() => neverRequests > before);
    h.clock.advance(30_000);
    expect(errorCode(await call)).toBe("BROWSER_TIMEOUT");
    okOutput(await session.execute("browser_goto", { url: `${base}/` }));
  });

  it("aborting a navigation settles ABORTED", async () => {
    const before = neverRequests;
    const controller = new AbortController();
    const call = session.execute("browser_goto", { url: `${base}/never` }, { signal: controller.signal });
    await waitFor(() => neverRequests > before);
    controller.abort();
    expect(errorCode(await call)).toBe("ABORTED");
    okOutput(await session.execute("browser_goto", { url: `${base}/` }));
  });

  it("parallel actions of one agent share one page, created once", async () => {
    const agentId = "parallel-agent";
    const options = { signal: new AbortController().signal, timeoutMs: 30_000, what: "peek" };
    const pages = await Promise.all(
      Array.from({ length: 4 }, () => browser.run(agentId, options, async (page) => page)),
    );
    expect(new Set(pages).size).toBe(1);
    expect(pages[0]?.context().pages()).toHaveLength(1);
    await browser.closeAgent(agentId);
  });

  it("refuses non-http URLs, file://, and private addresses; needs network permission", async () => {
    expect(errorCode(await session.execute("browser_goto", { url: "file:///etc/passwd" }))).toBe("BROWSER_URL_INVALID");
    expect(errorCode(await session.execute("browser_goto", { url: "javascript:alert(1)" }))).toBe(
      "BROWSER_URL_INVALID",
    );
    expect(errorCode(await session.execute("browser_goto", { url: "http://10.1.2.3/" }))).toBe("BROWSER_URL_BLOCKED");
    expect(errorCode(await session.execute("browser_goto", { url: "http://169.254.169.254/latest" }))).toBe(
      "BROWSER_URL_BLOCKED",
    );
    const offline = await h.sessionFor({});
    expect(errorCode(await offline.execute("browser_goto", { url: `${base}/` }))).toBe("TOOL_NETWORK_DENIED");
    await expect(checkUrl(`${base}/`, {})).rejects.toMatchObject({ code: "BROWSER_URL_BLOCKED" });
    await expect(checkUrl("http://localhost/", {})).rejects.toMatchObject({ code: "BROWSER_URL_BLOCKED" });
    expect(addressRefusal("::ffff:192.168.1.1", {})).toContain("private");
    expect(addressRefusal("fe80::1", {})).toContain("private");
    expect(addressRefusal("93.184.215.14", {})).toBeUndefined();
  });

  it("close() ends Chromium without the warning an unexpected disconnect gets", async () => {
    const logger = createMemoryLogger();
    const own = new BrowserManager({ clock: h.clock, logger, ssrf: { allowLoopback: true } });
    await own.run(
      "agent-close",
      { signal: new AbortController().signal, timeoutMs: 30_000, what: "test" },
      async () => 1,
    );
    await own.close();
    expect(logger.find("warn")).toEqual([]);
  });

  it("a missing Chromium is BROWSER_UNAVAILABLE with how to install it", async () => {
    const missing = new BrowserManager({ executablePath: join(h.root, "no-chromium"), ssrf: { allowLoopback: true } });
    const registry = h.registry;
    const tools = browserTools(missing).map((tool) => tool.name);
    expect(tools).toContain("browser_browse");
    await expect(
      missing.run("agent-x", { signal: new AbortController().signal, timeoutMs: 1000, what: "test" }, async () => 1),
    ).rejects.toMatchObject({
      code: "BROWSER_UNAVAILABLE",
      message: expect.stringContaining("apt-get install chromium"),
    });
    expect(registry.names()).toContain("browser_goto");
    await missing.close();
  });
});
