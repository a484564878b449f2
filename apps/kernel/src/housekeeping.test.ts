import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryLogger, ManualClock, settle } from "@oxios/core/testing";
import { MemoryStore } from "@oxios/memory";
import { HashingEmbedder } from "@oxios/memory/testing";
import { StateStore } from "@oxios/state-store";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Housekeeping } from "./housekeeping.ts";

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

async function world() {
  const directory = mkdtempSync(join(tmpdir(), "oxios-housekeeping-"));
  directories.push(directory);
  const clock = new ManualClock(Date.UTC(2026, 10, 1));
  const state = await StateStore.open({ root: join(directory, "state"), clock });
  const memory = await MemoryStore.open({
    url: `file:${join(directory, "oxios.db")}`,
    embedder: new HashingEmbedder({ dimensions: 64 }),
    clock,
  });
  return { clock, state, memory, logger: createMemoryLogger() };
}

describe("Housekeeping", () => {
  it("keeps the newest runs within the cap at boot and again each interval, then stops cleanly", async () => {
    const { clock, state, memory, logger } = await world();
    for (let index = 0; index < 5; index++) {
      await state.save("runs", `run-${index}`, { taskId: `run-${index}`, status: "completed" });
      clock.advance(1_000);
    }
    const housekeeping = new Housekeeping({ clock, state, memory, logger, maxRuns: 3, intervalMs: 60_000 });
    await housekeeping.start();
    expect((await state.list("runs")).map((entry) => entry.name)).toEqual(["run-2", "run-3", "run-4"]);
    for (let index = 5; index < 7; index++) {
      await state.save("runs", `run-${index}`, { taskId: `run-${index}`, status: "completed" });
      clock.advance(1_000);
    }
    await clock.advanceAsync(60_000);
    // The round does real file I/O; wait for it rather than for a fixed number of ticks.
    await vi.waitFor(
      async () => expect((await state.list("runs")).map((entry) => entry.name)).toEqual(["run-4", "run-5", "run-6"]),
      { timeout: 15_000 },
    );
    await vi.waitFor(() => expect(logger.find("info", "pruned state")).toHaveLength(2), { timeout: 15_000 });
    await housekeeping.stop();
    // Stopped: no further rounds, however much time passes.
    for (let index = 7; index < 10; index++) await state.save("runs", `run-${index}`, { taskId: `run-${index}` });
    await clock.advanceAsync(10 * 60_000);
    await settle();
    expect(logger.find("info", "pruned state")).toHaveLength(2);
    expect(await state.list("runs")).toHaveLength(6);
    await memory.close();
    await state.close();
  });
});
