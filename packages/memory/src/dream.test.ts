import { KernelError } from "@oxios/core";
import type { KernelEvent } from "@oxios/event-bus";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import Database from "libsql";
import { afterEach, describe, expect, it } from "vitest";
import { DREAM_PRESETS } from "./dream.ts";
import type { MemoryStore } from "./memory-store.ts";
import { openTestStore, removeTempDatabases } from "./test-support.ts";

const HOUR = 3_600_000;
const stores: MemoryStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  removeTempDatabases();
});

/** A publisher that also lets a test react to events as they are published. */
class HookedPublisher extends RecordingPublisher {
  hook: ((event: KernelEvent) => void) | undefined;
  override publish(event: Parameters<RecordingPublisher["publish"]>[0]) {
    const result = super.publish(event);
    this.hook?.(event as KernelEvent);
    return result;
  }
}

async function seed(store: MemoryStore) {
  const stale = [];
  for (let index = 0; index < 3; index++) {
    stale.push(await store.remember({ content: `small talk number ${index} about the weather`, type: "conversation" }));
  }
  const pinned = await store.remember({ content: "pinned chatter that must stay", type: "conversation", pinned: true });
  const preference = await store.remember({ content: "likes green tea", type: "preference" });
  const original = await store.remember({ content: "the staging cluster uses three nodes", type: "fact", tags: ["a"] });
  const twin = await store.remember({ content: "an unrelated sentence for now", type: "fact", tags: ["b"] });
  // Make the twin a near-duplicate after the fact (remember itself would have merged it).
  await store.update(twin.id, { content: "the staging cluster uses three nodes!" });
  const popular = await store.remember({ content: "the on-call rota lives in the wiki", type: "knowledge" });
  return { stale, pinned, preference, original, twin, popular };
}

describe("dream", () => {
  it("resumes at the next phase after a crash between phases, and applies its plan once", async () => {
    const events = new HookedPublisher();
    const first = await openTestStore({ events });
    stores.push(first.store);
    const seeded = await seed(first.store);
    first.clock.advance(100 * HOUR);
    for (let index = 0; index < 3; index++) {
      await first.store.recall({ query: "on-call rota wiki", sessionId: "elsewhere", limit: 1 });
    }

    const controller = new AbortController();
    events.hook = (event) => {
      if (event.type === "dream.phase-completed" && event.payload.phase === "gather") controller.abort();
    };
    const crashed = await first.store.dream({ signal: controller.signal }).then(
      () => "completed",
      (error: unknown) => (KernelError.isInstance(error) ? error.code : String(error)),
    );
    expect(crashed).toBe("ABORTED");
    events.hook = undefined;
    await first.store.close();

    const db = new Database(first.path);
    const checkpoint = db.prepare("SELECT completed_phase FROM dream_state").get([]) as { completed_phase: string };
    db.close();
    expect(checkpoint.completed_phase).toBe("gather");
    // Nothing was applied before the crash.
    expect(events.ofType("memory.forgotten")).toHaveLength(0);

    const resumedEvents = new RecordingPublisher();
    const second = await first.reopen({ events: resumedEvents });
    stores.push(second);
    const report = await second.dream();
    expect(resumedEvents.ofType("dream.started")[0]?.payload.resumedAtPhase).toBe("consolidate");
    expect(resumedEvents.ofType("dream.phase-completed").map((event) => event.payload.phase)).toEqual([
      "consolidate",
      "apply",
    ]);
    expect(report).toMatchObject({ resumedAtPhase: "consolidate", merged: 1, pruned: 3, promoted: 1 });
    expect(report.phases.map((phase) => phase.phase)).toEqual(["orient", "gather", "consolidate", "apply"]);

    for (const memory of seeded.stale) expect(await second.get(memory.id)).toBeUndefined();
    expect(await second.get(seeded.pinned.id)).toBeDefined();
    expect(await second.get(seeded.preference.id)).toBeDefined();
    const survivors = [await second.get(seeded.original.id), await second.get(seeded.twin.id)].filter(Boolean);
    expect(survivors).toHaveLength(1);
    expect(survivors[0]?.tags.sort()).toEqual(["a", "b"]);
    expect((await second.get(seeded.popular.id))?.tier).toBe("hot");
    const forgotten = resumedEvents.ofType("memory.forgotten").map((event) => event.payload.reason);
    expect(forgotten.filter((reason) => reason === "decayed")).toHaveLength(3);
    expect(resumedEvents.ofType("dream.completed")[0]?.payload).toMatchObject({ merged: 1, pruned: 3, promoted: 1 });
    expect(second.dreamReports()[0]?.runId).toBe(report.runId);

    // The checkpoint is gone: the next dream starts fresh and finds nothing left to do.
    const next = await second.dream();
    expect(next).toMatchObject({ resumedAtPhase: undefined, merged: 0, pruned: 0 });
  });

  it("discards a checkpoint older than one hour and starts afresh", async () => {
    const events = new HookedPublisher();
    const { store, clock } = await openTestStore({ events });
    stores.push(store);
    await store.remember({ content: "something to orient on", type: "fact" });
    const controller = new AbortController();
    events.hook = (event) => {
      if (event.type === "dream.phase-completed") controller.abort();
    };
    await expect(store.dream({ signal: controller.signal })).rejects.toMatchObject({ code: "ABORTED" });
    events.hook = undefined;
    clock.advance(HOUR + 1);
    const report = await store.dream();
    expect(report.resumedAtPhase).toBeUndefined();
    expect(events.ofType("dream.started").at(-1)?.payload.resumedAtPhase).toBeUndefined();
  });

  it("runs on its preset interval on the injected clock, and stop() joins it", async () => {
    const events = new RecordingPublisher();
    const { store, clock } = await openTestStore({ events });
    stores.push(store);
    await store.remember({ content: "a memory to dream about", type: "fact" });
    const schedule = store.startDreaming({ preset: "frequent" });
    expect(schedule.intervalMs).toBe(DREAM_PRESETS.frequent);
    await clock.advanceAsync(DREAM_PRESETS.frequent - 1);
    expect(events.ofType("dream.completed")).toHaveLength(0);
    await clock.advanceAsync(1);
    expect(events.ofType("dream.completed")).toHaveLength(1);
    await clock.advanceAsync(DREAM_PRESETS.frequent);
    expect(events.ofType("dream.completed")).toHaveLength(2);
    expect(schedule.runs).toBe(2);
    await schedule.stop();
    await clock.advanceAsync(DREAM_PRESETS.frequent * 3);
    expect(events.ofType("dream.completed")).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);
    expect(() => store.startDreaming({ intervalMs: -1 })).toThrow(/positive/);
  });

  it("refuses a second concurrent dream", async () => {
    const { store } = await openTestStore();
    stores.push(store);
    const running = store.dream();
    await expect(store.dream()).rejects.toMatchObject({ code: "MEMORY_DREAM_BUSY" });
    await running;
  });
});
