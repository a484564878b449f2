// A kernel on a file whose disk fills up mid-stream of submissions, end to end over HTTP: a
// kernel booted in this process behind a real HTTP server, the scripted model, the real
// `oxios.db`. `PRAGMA max_page_count` on the kernel's own handle of `oxios.db`
// (`kernel.runsDatabase`) stands in for the disk: SQLite answers SQLITE_FULL as it does for
// ENOSPC, and raising the limit is freeing the disk. (A second connection setting it would not
// do: the limit is per connection.)

import { createLogger, type LogRecord } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { type ServedHttp, serve } from "@oxios/daemon";
import { GroupCommit, openDatabase } from "@oxios/database";
import { FakeLlmServer } from "@oxios/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { bootInProcessKernel } from "./__fixtures__/in-process-kernel.ts";
import { tempHome } from "./__fixtures__/kernel-process.ts";
import { createApi } from "./http/app.ts";
import { StreamRegistry } from "./http/stream-registry.ts";
import type { Kernel } from "./kernel.ts";

const TOKEN = "database-full-test-token";
const UNLIMITED = 1_073_741_823;
let cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

interface Booted {
  kernel: Kernel;
  server: ServedHttp;
  logs: LogRecord[];
  stop: () => Promise<void>;
}

async function boot(home: string, fake: FakeLlmServer, clock: ManualClock): Promise<Booted> {
  const logs: LogRecord[] = [];
  const logger = createLogger({ level: "info", write: (record) => logs.push(record) });
  const booted = await bootInProcessKernel({ modelUrl: fake.baseUrl, home, clock, logger });
  const api = createApi({ kernel: booted.kernel, token: TOKEN, streams: new StreamRegistry() });
  const server = await serve(api.fetch, { hostname: "127.0.0.1", port: 0, logger });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= server.close().then(() => booted.stop());
    return stopped;
  };
  cleanup.push(stop);
  return { kernel: booted.kernel, server, logs, stop };
}

async function postRun(server: ServedHttp, goal: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/api/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ goal }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function pageCount(kernel: Kernel): number {
  return Number(kernel.runsDatabase.get<{ page_count: number }>("PRAGMA page_count")?.page_count);
}

function taskRows(kernel: Kernel): Map<string, string> {
  const rows = kernel.runsDatabase.all<{ id: string; status: string }>("SELECT id, status FROM scheduler_tasks");
  return new Map(rows.map((row) => [row.id, row.status]));
}

/**
 * Waits until the scheduler holds no task and every run of this process has settled, then
 * commits what is buffered. A recovered task is handed to its run once admitted, so the runs
 * are awaited again until the queue is empty.
 */
async function settled(kernel: Kernel): Promise<void> {
  for (;;) {
    await kernel.runs.settled();
    const { queued, running } = kernel.scheduler.stats();
    if (queued === 0 && running === 0) break;
    // A task admitted a moment ago reaches its run at the next turn of the event loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await kernel.runs.settled();
  GroupCommit.for(kernel.runsDatabase).flush();
}

describe("a kernel whose database fills up", () => {
  it("refuses runs with DATABASE_FULL (503) while the disk is full, takes them again once it is freed, and every acknowledged run completes exactly once", async () => {
    // The runs acknowledged before the disk fills wait for the model until the test lets them
    // answer, with an answer too long to fit the full file: their answer cannot be journalled.
    const gate: { open?: () => void; allAsked?: () => void } = {};
    const held = new Promise<void>((resolve) => {
      gate.open = resolve;
    });
    const allAsked = new Promise<void>((resolve) => {
      gate.allAsked = resolve;
    });
    let asked = 0;
    const fake = await FakeLlmServer.start({
      script: async (request) => {
        const goal = lastUser(request.body);
        if (goal.includes("before-")) {
          asked++;
          if (asked === 5) gate.allAsked?.();
          await held;
        }
        return { text: `done: ${goal} ${"x".repeat(4000)}` };
      },
    });
    cleanup.push(() => fake.close());
    // Runs after the kernel stopped (cleanup runs last-in first): a failed assertion before the
    // gate opened must not leave the kernel's drain waiting on the held model calls.
    const release = async () => gate.open?.();
    const home = tempHome();
    const clock = new ManualClock();
    const first = await boot(home, fake, clock);
    cleanup.push(release);
    const acknowledged: string[] = [];
    const refused: string[] = [];

    const before: string[] = [];
    for (let index = 0; index < 5; index++) {
      const answer = await postRun(first.server, `before-${index}`);
      expect(answer.status).toBe(202);
      before.push(answer.body.taskId as string);
    }
    acknowledged.push(...before);
    await allAsked;
    // The disk fills up mid-stream: not one page more. Submissions go on, concurrently.
    first.kernel.runsDatabase.exec(`PRAGMA max_page_count = ${pageCount(first.kernel)}`);
    const during = await Promise.all(Array.from({ length: 30 }, (_, index) => postRun(first.server, `full-${index}`)));
    for (const answer of during) {
      if (answer.status === 202) acknowledged.push(answer.body.taskId as string);
      else {
        expect(answer).toMatchObject({ status: 503, body: { error: { code: "DATABASE_FULL" } } });
        refused.push(String(answer.body.error));
      }
    }
    expect(refused.length).toBeGreaterThanOrEqual(20);
    // The held runs answer while the disk is full: each stops where its answer could not be
    // journalled, without an end — neither failed nor lost.
    gate.open?.();
    await settled(first.kernel);
    for (const taskId of before) expect((await first.kernel.runs.load(taskId))?.status, taskId).toBe("running");

    // Space is freed: the same kernel takes runs again, and they complete.
    first.kernel.runsDatabase.exec(`PRAGMA max_page_count = ${UNLIMITED}`);
    const after: string[] = [];
    for (let index = 0; index < 5; index++) {
      const answer = await postRun(first.server, `after-${index}`);
      expect(answer.status).toBe(202);
      after.push(answer.body.taskId as string);
    }
    acknowledged.push(...after);
    await settled(first.kernel);
    for (const taskId of after) expect((await first.kernel.runs.load(taskId))?.status).toBe("completed");

    // Logged once per streak of lost writes (an update that still fits a page ends one), not
    // once per refused run: no line per request, none per refused run's record.
    const lost = first.logs.filter((record) => record.message.startsWith("task writes are being lost"));
    const again = first.logs.filter((record) => record.message === "task writes are stored again");
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(again).toHaveLength(lost.length);
    for (const record of lost) expect(record.fields).toMatchObject({ code: "DATABASE_FULL" });
    expect(first.logs.filter((record) => record.message === "request failed")).toEqual([]);
    expect(first.logs.filter((record) => record.message === "a run's status change was not journalled")).toEqual([]);
    const loud = first.logs.filter((record) => record.level === "warn" || record.level === "error");
    expect(loud.length).toBeLessThan(refused.length / 2);
    await first.stop();

    // The next start settles what the full disk left unfinished (a run stopped mid-way by a
    // step it could not journal continues from its last journalled step).
    const second = await boot(home, fake, clock);
    for (const taskId of before) expect(second.kernel.recovery.resumed).toContain(taskId);
    await settled(second.kernel);
    const tasks = taskRows(second.kernel);
    for (const taskId of acknowledged) {
      const record = await second.kernel.runs.load(taskId);
      expect(record?.status, taskId).toBe("completed");
      expect(tasks.get(taskId), taskId).toBe("completed");
      // Exactly once: one answer journalled, however often the run was started.
      const steps = (await second.kernel.runs.steps(taskId)) ?? [];
      expect(
        steps.filter((step) => step.kind === "model"),
        taskId,
      ).toHaveLength(1);
    }
    // Nothing of a refused run was stored: every row and record is an acknowledged run's.
    const journalled = second.kernel.runsDatabase.all<{ task_id: string }>("SELECT task_id FROM run_records");
    expect(journalled.map((row) => row.task_id).sort()).toEqual([...acknowledged].sort());
    expect([...tasks.keys()].sort()).toEqual([...acknowledged].sort());
  });

  it("answers DATABASE_BUSY (503) while another connection holds the write lock past the busy timeout, and 202 once it let go", async () => {
    const fake = await FakeLlmServer.start({ script: () => ({ text: "done" }) });
    cleanup.push(() => fake.close());
    const clock = new ManualClock();
    const { kernel, server } = await boot(tempHome(), fake, clock);
    // A backup or `sqlite3` by hand takes the write lock; the kernel's handle waits 0 ms for it.
    kernel.runsDatabase.exec("PRAGMA busy_timeout = 0");
    const other = await openDatabase({ url: kernel.config.databaseUrl });
    let holding = false;
    // Before the kernel stops (cleanup runs last-in first), even when an assertion failed.
    cleanup.push(async () => {
      if (holding) other.exec("ROLLBACK");
      other.close();
    });
    other.exec("BEGIN IMMEDIATE");
    holding = true;
    const refused = await postRun(server, "while held");
    expect(refused).toMatchObject({ status: 503, body: { error: { code: "DATABASE_BUSY" } } });
    other.exec("COMMIT");
    holding = false;
    const accepted = await postRun(server, "after");
    expect(accepted.status).toBe(202);
    await settled(kernel);
    expect((await kernel.runs.load(accepted.body.taskId as string))?.status).toBe("completed");
  });
});

describe("the next start after a lost finish write", () => {
  it("finishes a task left running behind a run the journal holds as ended with the journal's status, not RUN_NOT_RESUMABLE", async () => {
    const fake = await FakeLlmServer.start({
      script: (request) => (lastUser(request.body).startsWith("cancel") ? { hang: true } : { text: "done" }),
    });
    cleanup.push(() => fake.close());
    const home = tempHome();
    const clock = new ManualClock();
    const first = await boot(home, fake, clock);
    const completed = (await postRun(first.server, "complete me")).body.taskId as string;
    const cancelled = (await postRun(first.server, "cancel me")).body.taskId as string;
    await first.kernel.runs.waitFor(completed, 60_000);
    expect(await first.kernel.runs.cancel(cancelled, "no longer needed")).toBe(true);
    await settled(first.kernel);
    await first.stop();
    // The queue's finish writes were lost (the database took no writes then): the tasks still
    // say running, under the lease of the stopped process; the journal has each run's end.
    const database = await openDatabase({ url: first.kernel.config.databaseUrl });
    database.run(
      `UPDATE scheduler_tasks SET status = 'running', finished_at = NULL, error_code = NULL, error_message = NULL,
        lease_owner = 'the-stopped-process', lease_expires_at = 0 WHERE id IN (?, ?)`,
      [completed, cancelled],
    );
    database.close();

    const second = await boot(home, fake, clock);
    expect(second.kernel.recovery.resumed).toEqual([]);
    await settled(second.kernel);
    const rows = second.kernel.runsDatabase.all<{ id: string; status: string; error_code: string | null }>(
      "SELECT id, status, error_code FROM scheduler_tasks",
    );
    expect(rows.find((row) => row.id === completed)).toMatchObject({ status: "completed", error_code: null });
    expect(rows.find((row) => row.id === cancelled)).toMatchObject({ status: "cancelled" });
    expect(rows.map((row) => row.error_code)).not.toContain("RUN_NOT_RESUMABLE");
    expect((await second.kernel.runs.load(completed))?.status).toBe("completed");
    expect((await second.kernel.runs.load(cancelled))?.status).toBe("cancelled");
  });
});

function lastUser(body: { messages?: Array<{ role: string; content?: unknown }> }): string {
  const user = [...(body.messages ?? [])].reverse().find((message) => message.role === "user");
  return typeof user?.content === "string" ? user.content.slice(0, 40) : "";
}
