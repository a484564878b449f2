import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@oxios/core/testing";
import { describe, expect, it } from "vitest";
import type { Kernel } from "../kernel.ts";
import { createApi } from "./app.ts";
import { CONSOLE_CSP, IMMUTABLE_CACHE, NO_CACHE } from "./console-assets.ts";
import { StreamRegistry } from "./stream-registry.ts";

const TOKEN = "console-test-token-0123456789";
const INDEX =
  '<!doctype html><title>Oxios console</title><script type="module" src="/assets/index-AbC123.js"></script>';

/** A console build as Vite lays it out: index.html, a favicon and hashed assets. */
function consoleBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), "oxios-console-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), INDEX);
  writeFileSync(join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  writeFileSync(join(dir, "assets", "index-AbC123.js"), "export {};");
  writeFileSync(join(dir, "assets", "index-DeF456.css"), "body{}");
  return dir;
}

function testApi(consoleDir?: string) {
  const clock = new ManualClock();
  const kernel = {
    config: { httpRatePerMinute: 1000, llmApiKey: "sk-llm-key-never-a-token" },
    clock,
    startedAt: clock.now(),
    lifecycle: { ready: true, draining: false },
  } as unknown as Kernel;
  return createApi({
    kernel,
    token: TOKEN,
    streams: new StreamRegistry(),
    ...(consoleDir === undefined ? {} : { consoleDir }),
  });
}

describe("the console served at /", () => {
  const app = testApi(consoleBuild());

  it("answers GET / with the app's index.html, not cached, under a strict CSP", async () => {
    const response = await app.request("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe(NO_CACHE);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toBe(INDEX);
  });

  it("forbids inline script, inline style, framing and other origins", async () => {
    const csp = (await app.request("/")).headers.get("content-security-policy") ?? "";
    expect(csp).toBe(CONSOLE_CSP);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
  });

  it("caches hashed assets as immutable with their content type, unhashed files not", async () => {
    const script = await app.request("/assets/index-AbC123.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("cache-control")).toBe(IMMUTABLE_CACHE);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toBe("export {};");
    const style = await app.request("/assets/index-DeF456.css");
    expect(style.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const icon = await app.request("/favicon.svg");
    expect(icon.headers.get("cache-control")).toBe(NO_CACHE);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
  });

  it("answers no file outside the build and keeps the API's JSON 404s", async () => {
    for (const path of ["/assets/missing.js", "/assets/../index.html.bak", "/etc/passwd", "/index.htm"]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(await response.json(), path).toMatchObject({ error: { code: "NOT_FOUND" } });
    }
    const api = await app.request("/api/no-such-route", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toContain("application/json");
    expect(await api.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("still asks for the token on /api/* (the console pages hold no data)", async () => {
    const response = await app.request("/api/status");
    expect(response.status).toBe(401);
  });

  it("answers HEAD without a body", async () => {
    const response = await app.request("/", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("answers / with the JSON 404 when the console is not built", async () => {
    const response = await testApi().request("/");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });
});
