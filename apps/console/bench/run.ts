/**
 * The console's budgets, measured (not asserted in tests: a loaded machine is not a verdict):
 * - first-load JS, gzip, against 150 KB;
 * - first render to usable (signed in, the Overview heading and the live stream up) in
 *   headless Chromium against a real kernel, against 1 s;
 * - the longest main-thread task while scrolling a list of 10,000 runs top to bottom, against
 *   50 ms (the runs are the kernel's API answers, served to the page by playwright's router so
 *   the list holds 10,000 without running 10,000 goals);
 * - what serving the console adds to the kernel's boot (reading the build into memory),
 *   against 0.2 s.
 * Each budget is the baseline; a ratio ≤ 1 meets it.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { median, writeBenchResults } from "@oxios/tooling/bench";
import { CHROMIUM_FLAGS } from "@oxios/tools/browser";
import { chromium } from "playwright-core";
import { consoleRoutes, findConsoleDir } from "../../kernel/src/http/console-assets.ts";
import { startKernel } from "../test/kernel-process.ts";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const DIST = new URL("../dist/", import.meta.url);

function firstLoadJsGzipKb(): number {
  const html = readFileSync(new URL("index.html", DIST), "utf8");
  const scripts = [...html.matchAll(/<script[^>]+src="\/([^"]+)"/g)].map((match) => match[1] as string);
  const bytes = scripts.reduce((sum, path) => sum + gzipSync(readFileSync(new URL(path, DIST))).byteLength, 0);
  return bytes / 1024;
}

function bootCostMs(): number {
  const dir = findConsoleDir();
  if (dir === undefined) throw new Error("build the kernel first (turbo run build): dist/console is missing");
  const times: number[] = [];
  for (let round = 0; round < 20; round++) {
    const started = performance.now();
    consoleRoutes(dir);
    times.push(performance.now() - started);
  }
  return median(times);
}

const STATUSES = ["queued", "running", "completed", "failed", "cancelled"];
const RUNS = Array.from({ length: 10_000 }, (_, index) => ({
  taskId: `task-${String(index).padStart(5, "0")}`,
  agentId: `agent-${index}`,
  goal: `synthetic goal number ${index} with a few more words to fill the row`,
  priority: "normal",
  status: STATUSES[index % STATUSES.length],
  createdAt: Date.now() - index * 1000,
}));

/**
 * Runs in the page (a string: tsx's helpers do not exist there). Scrolls the run list to its
 * end a frame at a time, as a wheel would — pages load as the end nears — while a
 * PerformanceObserver records every long task (> 50 ms).
 */
const SCROLL_TO_END = scrollScript(true);
/** The same frames without scrolling: the long tasks a loaded machine causes by itself. */
const IDLE = scrollScript(false);

function scrollScript(scroll: boolean): string {
  return `(async () => {
  const tasks = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) tasks.push(entry.duration);
  });
  observer.observe({ type: "longtask" });
  const list = document.querySelector(".virtual");
  const atEnd = () => list.scrollTop + list.clientHeight >= list.scrollHeight - 1;
  const scroll = ${scroll};
  for (let frame = 0; frame < (scroll ? 5000 : 400) && !(scroll && atEnd() && list.scrollHeight >= 10000 * 40); frame++) {
    if (scroll) list.scrollTop += 1600;
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  observer.disconnect();
  return { longest: Math.max(0, ...tasks), count: tasks.length, rows: list.scrollHeight / 40 };
})()`;
}

async function main(): Promise<void> {
  const jsKb = firstLoadJsGzipKb();
  const bootMs = bootCostMs();
  const kernel = await startKernel({ config: "", env: {} });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: [...CHROMIUM_FLAGS] });
  try {
    const renders: number[] = [];
    for (let round = 0; round < 7; round++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${kernel.url}/#token=${encodeURIComponent(kernel.token)}`);
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      await page.getByRole("status", { name: "Live updates" }).getByText("Live", { exact: true }).waitFor();
      renders.push(performance.now() - started);
      await context.close();
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.route(/\/api\/runs\?/, async (route) => {
      const query = new URL(route.request().url()).searchParams;
      const offset = Number(query.get("offset") ?? 0);
      const limit = Number(query.get("limit") ?? 200);
      await route.fulfill({ json: { runs: RUNS.slice(offset, offset + limit), total: RUNS.length } });
    });
    await page.goto(`${kernel.url}/#token=${encodeURIComponent(kernel.token)}`);
    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await page.getByRole("link", { name: /synthetic goal number 0 / }).waitFor();
    const longest = (await page.evaluate(SCROLL_TO_END)) as { longest: number; count: number; rows: number };
    const idle = (await page.evaluate(IDLE)) as { longest: number; count: number };
    writeBenchResults(PACKAGE_DIR, [
      {
        name: "first-load JS (gzip)",
        ours: jsKb,
        baseline: 150,
        baselineName: "budget",
        unit: "KB",
        better: "lower",
        goal: { atMost: 1 },
      },
      {
        name: "first render to usable (median of 7)",
        ours: median(renders),
        baseline: 1000,
        baselineName: "budget",
        unit: "ms",
        better: "lower",
        goal: { atMost: 1 },
        notes: `rounds: ${renders.map((value) => value.toFixed(0)).join(", ")}`,
      },
      {
        name: "longest task scrolling 10,000 runs",
        ours: longest.longest,
        baseline: 50,
        baselineName: "budget",
        unit: "ms",
        better: "lower",
        goal: { atMost: 1 },
        notes: `${longest.count} long tasks (> 50 ms) over ${longest.rows} rows; the same page idle for 400 frames: ${idle.count} long tasks, longest ${idle.longest.toFixed(0)} ms (machine load)`,
      },
      {
        name: "console's cost at kernel boot (median of 20)",
        ours: bootMs,
        baseline: 200,
        baselineName: "budget",
        unit: "ms",
        better: "lower",
        goal: { atMost: 1 },
      },
    ]);
  } finally {
    await browser.close();
    await kernel.stop();
  }
}

await main();
