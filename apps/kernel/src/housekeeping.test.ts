import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryLogger, ManualClock, settle } from "@oxios/core/testing";
import { openDatabase } from "@oxios/database";
import { MemoryStore } from "@oxios/memory";
import { HashingEmbedder } from "@oxios/memory/testing";
import { LibsqlRunJournal } from "@oxios/runtime/libsql";
import { Scheduler } from "@oxios/scheduler";
import { LibsqlTaskStore } from "@oxios/scheduler/libsql";
import { StateStore } from "@oxios/state-store";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Housekeeping } from "./housekeeping.ts";

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

const DAY = 24 * 60 * 60 * 1000;

async function world() {
  const directory = mkdtempSync(join(tmpdir(), "oxios-housekeeping-"));
  directories.push(directory);
  const clock = new ManualClock(Date.UTC(2026, 10, 1));
  const url = `file:${join(directory, "oxios.db")}`;
  const state = await StateStore.open({ root: join(directory, "state"), clock });
  const memory = await MemoryStore.open({ url, embedder: new HashingEmbedder({ dimensions: 64 }), clock });
  const database = await openDatabase({ url });
  const journal = await LibsqlRunJournal.open({ database });
  const taskStore = await LibsqlTaskStore.open({ database });
  const scheduler = new Scheduler({ clock, store: taskStore, ratePerMinute: Number.POSITIVE_INFINITY });
  /** A run journalled and finished now, with its scheduler task. */
  const finishRun = async (taskId: string) => {
    const record = { taskId, agentId: "a", goal: "g", priority: "normal" as const, createdAt: clock.now() };
    await journal.create({
      record: { ...record, status: "queued" },
      request: { constraints: [], acceptanceCriteria: [] },
    });
    scheduler.submit({ id: taskId });
    scheduler.complete(taskId);
    await journal.update({ ...record, status: "completed", finishedAt: clock.now() });
  };
  const close = async () => {
    await scheduler.drain({ timeoutMs: 0 });
    await taskStore.close();
    await journal.close();
    database.close();
    await memory.close();
    await state.close();
  };
  return { clock, state, memory, journal, taskStore, scheduler, finishRun, close, logger: createMemoryLogger() };
}

describe("Housekeeping", () => {
  it("keeps the newest finished runs and tasks within the count and age, at boot and each interval, never a live one", async () => {
    const w = await world();
    for (let index = 0; index < 5; index++) {
      await w.finishRun(`run-${index}`);
      w.clock.advance(1_000);
    }
    await w.journal.create({
      record: { taskId: "live", agentId: "a", goal: "g", priority: "normal", status: "running", createdAt: 0 },
      request: { constraints: [], acceptanceCriteria: [] },
    });
    w.scheduler.submit({ id: "live-task" });
    const housekeeping = new Housekeeping({
      clock: w.clock,
      state: w.state,
      memory: w.memory,
      journal: w.journal,
      taskStore: w.taskStore,
      logger: w.logger,
      runRetention: { count: 3, days: 2 },
      intervalMs: DAY,
      dream: "off",
    });
    await housekeeping.start();
    const kept = async () => ({
      runs: (await Promise.all(["run-0", "run-1", "run-2", "run-3", "run-4", "live"].map((id) => w.journal.get(id))))
        .filter((record) => record !== undefined)
        .map((record) => record?.taskId),
      tasks: w.taskStore.list().map((task) => task.id),
    });
    expect(await kept()).toEqual({
      runs: ["run-2", "run-3", "run-4", "live"],
      tasks: ["run-2", "run-3", "run-4", "live-task"],
    });
    // The round a day later finds nothing old enough; once it has scheduled the next one (its
    // pruning does real file I/O), a second day makes the rest too old and that round removes it.
    await w.clock.advanceAsync(DAY);
    await vi.waitFor(() => expect(w.clock.pendingTimers).toBe(1), { timeout: 60_000 });
    await w.clock.advanceAsync(DAY);
    await vi.waitFor(async () => expect(await kept()).toEqual({ runs: ["live"], tasks: ["live-task"] }), {
      timeout: 15_000,
    });
    await housekeeping.stop();
    await w.finishRun("after-stop");
    await w.clock.advanceAsync(10 * DAY);
    await settle();
    expect(await w.journal.get("after-stop")).toMatchObject({ status: "completed" });
    await w.close();
  });
});
