// The console in a real browser (Debian Chromium through playwright-core) against a real kernel
// process whose model is the scripted FakeLlmServer. Every step asserts what a person sees —
// roles, names and visible text — and waits for it; axe-core checks each page.

import { mkdirSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { FakeLlmServer, type FakeRequest, type FakeToolCall, lastUserText } from "@oxios/runtime/testing";
import { CHROMIUM_FLAGS } from "@oxios/tools/browser";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KernelProcess, startKernel } from "./kernel-process.ts";

const SCREENSHOTS = new URL("../test-results/screenshots/", import.meta.url).pathname;

/** One run at a time, so a second run waits in the queue while the first is held. */
const CONFIG = `
max_concurrent = 1
approval_timeout_ms = 600000

[agents.careful]
description = "Writes only after an operator approves"
approval_required = ["write"]
workspace = "persistent"
`;

/** Holds the model's answer to "HELD …" goals until the test opens it. */
const gate = {
  closed: true,
  waiters: [] as Array<() => void>,
  pass(): Promise<void> {
    return this.closed ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  },
  open(): void {
    this.closed = false;
    for (const release of this.waiters.splice(0)) release();
  },
};

const PLANS = new Map<string, FakeToolCall[]>([
  ["write", [{ name: "write", arguments: { path: "approved.txt", content: "written after approval" } }]],
]);

function toolResults(request: FakeRequest): string[] {
  return (request.body.messages ?? [])
    .filter((message) => message.role === "tool")
    .map((message) => String(message.content));
}

async function responder(request: FakeRequest) {
  const goal = lastUserText(request.body);
  if (goal.startsWith("HELD")) await gate.pass();
  const plan = PLANS.get(goal.startsWith("PLAN ") ? goal.slice(5).trim() : "");
  if (plan === undefined) return { text: `answer to: ${goal}` };
  const next = plan[toolResults(request).length];
  return next === undefined ? { text: `done: ${toolResults(request).join(" | ")}` } : { toolCalls: [next] };
}

/** Waits until `locator` is visible (playwright's own wait: no sleep, the test's timeout bounds it). */
async function visible(locator: Locator): Promise<void> {
  await locator.first().waitFor({ state: "visible", timeout: 60_000 });
}

/** The run's row in the list: a link reading its status, then its goal. */
function runLink(page: Page, goal: string, status: string): Locator {
  return page.getByRole("link", { name: new RegExp(`^${status} ${goal}( |$)`) });
}

/** No serious or critical accessibility violation on the page as it is now. */
async function expectAccessible(page: Page, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`,
    );
  expect(serious.join("\n"), name).toBe("");
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

describe("the console in Chromium against a real kernel", () => {
  let fake: FakeLlmServer;
  let kernel: KernelProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    fake = await FakeLlmServer.start({ script: responder });
    kernel = await startKernel({
      config: CONFIG,
      env: {
        OXIOS_MODEL: "openai-compatible/fake",
        OXIOS_LLM_BASE_URL: fake.baseUrl,
        OXIOS_LLM_API_KEY: "sk-console-test-llm-key",
      },
    });
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: [...CHROMIUM_FLAGS] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") console.error(`browser: ${message.text()}`);
    });
    page.on("pageerror", (error) => {
      throw error;
    });
  });

  afterAll(async () => {
    gate.open();
    await browser?.close();
    await kernel?.stop();
    await fake?.close();
  });

  it("refuses a wrong token with a clear error", async () => {
    await page.goto(`${kernel.url}/`);
    await page.getByLabel("API token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await visible(page.getByRole("alert").filter({ hasText: "The kernel refused this token (401 UNAUTHORIZED)" }));
    await expectAccessible(page, "sign-in");
    await screenshot(page, "sign-in-refused");
  });

  it("signs in with the token from the #token= fragment, then removes it from the address bar", async () => {
    await page.goto(`${kernel.url}/#token=${encodeURIComponent(kernel.token)}`);
    await visible(page.getByRole("heading", { level: 1, name: "Overview" }));
    expect(page.url()).not.toContain(kernel.token);
    await visible(page.getByRole("status", { name: "Live updates" }).getByText("Live", { exact: true }));
    await visible(page.getByRole("heading", { name: "Scheduler" }));
    await expectAccessible(page, "overview");
  });

  it("signs in by typing the token", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").fill(kernel.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await visible(page.getByRole("heading", { level: 1, name: "Overview" }));
    await visible(page.getByText("Audit entries"));
  });

  it("submits goals and shows queued → running → completed live, and cancels a slow run", async () => {
    await page.getByRole("link", { name: "Runs" }).click();
    await visible(page.getByRole("heading", { level: 1, name: "Runs" }));
    await page.getByLabel("Goal", { exact: true }).fill("HELD slow goal");
    await page.getByRole("button", { name: "Submit" }).click();
    await visible(runLink(page, "HELD slow goal", "running"));
    // One run at a time: the second waits in the queue while the first is held.
    await page.getByLabel("Goal", { exact: true }).fill("HELD second goal");
    await page.getByRole("button", { name: "Submit" }).click();
    await visible(runLink(page, "HELD second goal", "queued"));
    await expectAccessible(page, "runs");
    await screenshot(page, "runs");

    await runLink(page, "HELD slow goal", "running").click();
    await visible(page.getByRole("heading", { level: 1, name: /^Run / }));
    await visible(page.getByRole("status", { name: "Status: running" }));
    await page.getByRole("button", { name: "Cancel run" }).click();
    await visible(page.getByRole("status", { name: "Status: cancelled" }));

    await page.getByRole("link", { name: "← All runs" }).click();
    await visible(runLink(page, "HELD second goal", "running"));
    gate.open();
    await visible(runLink(page, "HELD second goal", "completed"));
  });

  it("shows a run's detail: timeline, transcript with the model's answer, events and audit entries", async () => {
    await runLink(page, "HELD second goal", "completed").click();
    await visible(page.getByRole("status", { name: "Status: completed" }));
    await visible(page.getByRole("heading", { name: "Timeline" }));
    await visible(page.getByText(/^Completed at /));
    await visible(page.getByRole("heading", { name: /^Model turn/ }));
    await visible(page.getByText("answer to: HELD second goal").first());
    await visible(page.getByRole("cell", { name: "agent.started" }).first());
    await expectAccessible(page, "run detail");
    await screenshot(page, "run-detail");
  });

  it("approves a pending tool call with a reason, and the run goes on", async () => {
    const started = await kernel.api<{ taskId: string }>("POST", "/api/runs", { goal: "PLAN write", agent: "careful" });
    await page.getByRole("link", { name: "Approvals" }).click();
    const card = page.getByRole("region", { name: "write for careful" });
    await visible(card);
    await visible(card.getByText("written after approval"));
    await expectAccessible(page, "approvals");
    await screenshot(page, "approvals");
    await card.getByLabel("Reason").fill("looks right");
    await card.getByRole("button", { name: "Approve" }).click();
    await visible(page.getByText("No pending approval."));
    await page.goto(`${kernel.url}/#/runs/${started.taskId}`);
    await visible(page.getByRole("status", { name: "Status: completed" }));
    await visible(page.getByRole("heading", { name: "Tool write succeeded" }));
  });

  it("adds a memory and finds it by a paraphrase, with its score and the stage that found it", async () => {
    await page.getByRole("link", { name: "Memory" }).click();
    await page.getByLabel("Content").fill("The garden needs water on Fridays");
    await page.getByRole("button", { name: "Add memory" }).click();
    await visible(page.getByRole("status").filter({ hasText: "Memory stored." }));
    await page.getByLabel("Query").fill("when should the plants be watered");
    await page.getByRole("button", { name: "Search" }).click();
    const search = page.getByRole("region", { name: "Search" });
    await visible(search.getByRole("cell", { name: "The garden needs water on Fridays" }));
    await visible(search.getByRole("cell", { name: /vector #1/ }));
    await expectAccessible(page, "memory");
    await screenshot(page, "memory");
  });

  it("shows an event arriving in the live tail", async () => {
    await page.getByRole("link", { name: "Events" }).click();
    await visible(page.getByRole("heading", { level: 1, name: "Events" }));
    await kernel.api("POST", "/api/memory", { content: "an event for the live tail" });
    const tail = page.getByRole("list", { name: "Live events, newest first" });
    await visible(tail.getByText("memory.stored").first());
    await expectAccessible(page, "events");
    await screenshot(page, "events");
  });

  it("verifies the audit chain", async () => {
    await page.getByRole("link", { name: "Audit" }).click();
    await page.getByRole("button", { name: "Verify chain" }).click();
    await visible(page.getByRole("status").filter({ hasText: "Chain intact" }));
    await visible(page.getByRole("cell", { name: "task.queued" }));
    await expectAccessible(page, "audit");
    await screenshot(page, "audit");
  });

  it("lists agents and profiles, schedules and chat without accessibility violations", async () => {
    for (const [link, heading] of [
      ["Agents", "Agents"],
      ["Schedules", "Schedules"],
      ["Chat", "Chat"],
    ] as const) {
      await page.getByRole("link", { name: link, exact: true }).click();
      await visible(page.getByRole("heading", { level: 1, name: heading }));
      await expectAccessible(page, heading);
      await screenshot(page, heading.toLowerCase());
    }
    await page.getByRole("link", { name: "Agents", exact: true }).click();
    await visible(page.getByText(/^careful — Writes only after/));
    await page.getByRole("link", { name: "Overview", exact: true }).click();
    await visible(page.getByRole("figure").getByText(/^[1-9]\d* runs in the last hour/));
    await screenshot(page, "overview");
  });
  it("works from the keyboard, in dark mode and on a narrow screen", async () => {
    // A fresh load (the token stays for the tab): Tab reaches the skip link first, then the
    // navigation; Enter on a link opens its page.
    await page.goto(`${kernel.url}/#/overview`);
    await page.reload();
    await visible(page.getByRole("heading", { level: 1, name: "Overview" }));
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Runs");
    await page.keyboard.press("Enter");
    await visible(page.getByRole("heading", { level: 1, name: "Runs" }));

    await page.emulateMedia({ colorScheme: "dark" });
    await page.setViewportSize({ width: 390, height: 844 });
    await visible(runLink(page, "HELD second goal", "completed"));
    await expectAccessible(page, "runs, dark, narrow");
    await screenshot(page, "runs-dark-narrow");
    await runLink(page, "HELD second goal", "completed").click();
    await visible(page.getByRole("status", { name: "Status: completed" }));
    await expectAccessible(page, "run detail, dark, narrow");
    await screenshot(page, "run-detail-dark-narrow");
  });
});
