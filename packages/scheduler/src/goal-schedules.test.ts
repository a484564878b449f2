import { KernelError } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type GoalSchedule, type GoalScheduleInput, parseGoalSchedule } from "./goal-schedule.ts";
import { type GoalScheduleStore, InMemoryGoalScheduleStore } from "./goal-schedule-store.ts";
import { GoalSchedules, type ScheduleFiring } from "./goal-schedules.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Started {
  firing: ScheduleFiring;
  at: number;
  taskId: string;
  finish(): void;
}

/** A world around GoalSchedules: a manual clock, a store, and runs a test finishes by hand. */
function world(options: { start?: number; store?: GoalScheduleStore; failStart?: boolean } = {}) {
  const clock = new ManualClock(options.start ?? Date.UTC(2026, 2, 27));
  const store = options.store ?? new InMemoryGoalScheduleStore();
  const events = new RecordingPublisher();
  const started: Started[] = [];
  let running = 0;
  let maxRunning = 0;
  const schedules = new GoalSchedules({
    clock,
    store,
    events,
    async start(firing) {
      if (options.failStart) throw new KernelError("RUNTIME_CLOSED", "closed");
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        let done = false;
        finish = () => {
          if (done) return;
          done = true;
          running -= 1;
          resolve();
        };
      });
      const run = { firing, at: clock.now(), taskId: `task-${started.length + 1}`, finish };
      started.push(run);
      return { taskId: run.taskId, finished };
    },
  });
  return {
    clock,
    store,
    events,
    started,
    schedules,
    get running() {
      return running;
    },
    get maxRunning() {
      return maxRunning;
    },
  };
}

function schedule(input: GoalScheduleInput, source: GoalSchedule["source"] = "api"): GoalSchedule {
  return parseGoalSchedule({ name: "job", goal: "do the thing", ...input }, source);
}

const iso = (ms: number) => new Date(ms).toISOString();

describe("GoalSchedules", () => {
  it("fires a daily 09:00 Berlin goal at the right instants across the spring daylight-saving change", async () => {
    const w = world({ start: Date.UTC(2026, 2, 27, 0, 0) });
    w.schedules.open();
    w.schedules.put(schedule({ cron: "0 9 * * *", timezone: "Europe/Berlin" }), { replace: false });
    for (let day = 0; day < 5; day++) {
      await w.clock.advanceAsync(24 * HOUR);
      for (const run of w.started) run.finish();
    }
    expect(w.started.map((run) => iso(run.firing.scheduledAt))).toEqual([
      "2026-03-27T08:00:00.000Z",
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
      "2026-03-31T07:00:00.000Z",
    ]);
    // Each run started at its instant, not later.
    expect(w.started.map((run) => run.at)).toEqual(w.started.map((run) => run.firing.scheduledAt));
    expect(w.events.ofType("schedule.fired").map((event) => event.payload.taskId)).toEqual(
      w.started.map((run) => run.taskId),
    );
  });

  it("skips the firings missed while the kernel was down and waits for the next instant", async () => {
    const store = new InMemoryGoalScheduleStore();
    const first = world({ store });
    first.schedules.open();
    first.schedules.put(schedule({ every: "1h" }), { replace: false });
    await first.clock.advanceAsync(90 * MINUTE);
    expect(first.started).toHaveLength(1);
    first.started[0]?.finish();
    await first.schedules.close();

    // Down for five hours: due at +2h, +3h, +4h, +5h, +6h passed unseen.
    const second = world({ store, start: first.clock.now() + 5 * HOUR });
    expect(second.schedules.open()).toEqual({ ran: [], skipped: ["job"] });
    expect(second.started).toHaveLength(0);
    expect(second.events.ofType("schedule.skipped")[0]?.payload).toMatchObject({ reason: "missed", missed: 5 });
    const anchor = first.clock.now() - 90 * MINUTE;
    expect(second.schedules.get("job")?.nextFireAt).toBe(anchor + 7 * HOUR);
    await second.clock.advanceAsync(anchor + 7 * HOUR - second.clock.now());
    expect(second.started.map((run) => run.firing)).toEqual([
      expect.objectContaining({ trigger: "timer", scheduledAt: anchor + 7 * HOUR }),
    ]);
  });

  it("runs once for all the firings missed while down when told to", async () => {
    const store = new InMemoryGoalScheduleStore();
    const first = world({ store });
    first.schedules.open();
    first.schedules.put(schedule({ every: "1h", missed: "run-once" }), { replace: false });
    const anchor = first.clock.now();
    await first.schedules.close();

    const second = world({ store, start: anchor + 5 * HOUR + 30 * MINUTE });
    expect(second.schedules.open()).toEqual({ ran: ["job"], skipped: [] });
    await second.clock.advanceAsync(0);
    expect(second.started.map((run) => run.firing)).toEqual([
      expect.objectContaining({ trigger: "missed", scheduledAt: anchor + HOUR }),
    ]);
    expect(second.started[0]?.at).toBe(anchor + 5 * HOUR + 30 * MINUTE);
    expect(second.schedules.get("job")?.nextFireAt).toBe(anchor + 6 * HOUR);
  });

  it("never overlaps with overlap = skip: firings during a run are skipped", async () => {
    const w = world();
    w.schedules.open();
    w.schedules.put(schedule({ every: "1m" }), { replace: false });
    await w.clock.advanceAsync(3 * MINUTE);
    expect(w.started).toHaveLength(1);
    expect(w.events.ofType("schedule.skipped").map((event) => event.payload.reason)).toEqual(["overlap", "overlap"]);
    w.started[0]?.finish();
    await w.clock.advanceAsync(MINUTE);
    expect(w.started).toHaveLength(2);
    expect(w.maxRunning).toBe(1);
    expect(w.schedules.get("job")).toMatchObject({ fired: 2, skipped: 2 });
  });

  it("queues one firing behind a run with overlap = queue and starts it when the run ends", async () => {
    const w = world();
    w.schedules.open();
    w.schedules.put(schedule({ every: "1m", overlap: "queue" }), { replace: false });
    await w.clock.advanceAsync(3 * MINUTE);
    expect(w.started).toHaveLength(1);
    expect(w.schedules.get("job")).toMatchObject({ running: 1, queued: true });
    expect(w.events.ofType("schedule.skipped").map((event) => event.payload.reason)).toEqual(["coalesced"]);
    w.started[0]?.finish();
    await w.clock.advanceAsync(0);
    expect(w.started.map((run) => run.firing.trigger)).toEqual(["timer", "queued"]);
    expect(w.started[1]?.firing.scheduledAt).toBe((w.started[0]?.firing.scheduledAt ?? 0) + MINUTE);
    expect(w.maxRunning).toBe(1);
  });

  it("never runs a schedule twice at once, whatever the interleaving of time and run ends", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("skip" as const, "queue" as const),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 3 * MINUTE }), fc.constant(-1)), { maxLength: 20 }),
        async (overlap, steps) => {
          const w = world();
          w.schedules.open();
          w.schedules.put(schedule({ every: "1m", overlap }), { replace: false });
          for (const step of steps) {
            if (step === -1) {
              for (const run of w.started) run.finish();
              await w.clock.advanceAsync(0);
            } else {
              await w.clock.advanceAsync(step);
            }
            expect(w.running).toBeLessThanOrEqual(1);
          }
          const view = w.schedules.get("job");
          const due = Math.floor((w.clock.now() - Date.UTC(2026, 2, 27)) / MINUTE);
          // Every due instant either started a run, was skipped, or is the one waiting.
          expect((view?.fired ?? 0) + (view?.skipped ?? 0) + (view?.queued ? 1 : 0)).toBe(due);
          expect(w.maxRunning).toBeLessThanOrEqual(1);
          for (const run of w.started) run.finish();
          await w.schedules.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it("runs a schedule on demand, refusing with SCHEDULER_SCHEDULE_BUSY while its run goes on under overlap = skip", async () => {
    const w = world();
    w.schedules.open();
    w.schedules.put(schedule({ cron: "0 9 * * *", enabled: false }), { replace: false });
    expect(w.schedules.get("job")?.nextFireAt).toBeUndefined();
    expect(await w.schedules.runNow("job")).toEqual({ started: true, taskId: "task-1" });
    await expect(w.schedules.runNow("job")).rejects.toMatchObject({ code: "SCHEDULER_SCHEDULE_BUSY" });
    await expect(w.schedules.runNow("nothing")).rejects.toMatchObject({ code: "SCHEDULER_SCHEDULE_NOT_FOUND" });
    w.schedules.put(schedule({ cron: "0 9 * * *", enabled: false, overlap: "queue" }), { replace: true });
    expect(await w.schedules.runNow("job")).toEqual({ started: false, queued: true });
    expect(w.events.ofType("schedule.fired")[0]?.payload.trigger).toBe("manual");
  });

  it("counts a firing whose run cannot start as skipped (failed) and keeps the schedule", async () => {
    const w = world({ failStart: true });
    w.schedules.open();
    w.schedules.put(schedule({ every: "1m" }), { replace: false });
    await w.clock.advanceAsync(2 * MINUTE);
    expect(w.events.ofType("schedule.skipped").map((event) => event.payload)).toEqual([
      expect.objectContaining({ reason: "failed", error: expect.objectContaining({ code: "RUNTIME_CLOSED" }) }),
      expect.objectContaining({ reason: "failed" }),
    ]);
    expect(w.schedules.get("job")).toMatchObject({ fired: 0, skipped: 2 });
    await expect(w.schedules.runNow("job")).rejects.toMatchObject({ code: "RUNTIME_CLOSED" });
  });

  it("keeps config-defined schedules read-only to the API and replaces them on reconfigure", async () => {
    const w = world();
    w.schedules.open([schedule({ name: "nightly", cron: "0 2 * * *" }, "config")]);
    expect(() => w.schedules.remove("nightly")).toThrow(
      expect.objectContaining({ code: "SCHEDULER_SCHEDULE_READ_ONLY" }),
    );
    expect(() => w.schedules.put(schedule({ name: "nightly", every: "1h" }), { replace: true })).toThrow(
      expect.objectContaining({ code: "SCHEDULER_SCHEDULE_READ_ONLY" }),
    );
    w.schedules.put(schedule({ name: "mine", every: "1h" }), { replace: false });
    expect(() => w.schedules.put(schedule({ name: "mine", every: "2h" }), { replace: false })).toThrow(
      expect.objectContaining({ code: "SCHEDULER_SCHEDULE_EXISTS" }),
    );
    w.schedules.reconfigure([schedule({ name: "weekly", cron: "0 2 * * 1" }, "config")]);
    expect(w.schedules.list().map((view) => view.name)).toEqual(["mine", "weekly"]);
    expect(w.store.load().map((record) => record.schedule.name)).toEqual(["mine", "weekly"]);
    expect(w.events.types()).toEqual(["schedule.created", "schedule.created", "schedule.removed", "schedule.created"]);
  });

  it("keeps a stored due time through a restart when the definition did not change", async () => {
    const store = new InMemoryGoalScheduleStore();
    const configured = [schedule({ name: "nightly", cron: "0 2 * * *" }, "config")];
    const first = world({ store });
    first.schedules.open(configured);
    const due = first.schedules.get("nightly")?.nextFireAt;
    await first.schedules.close();
    const second = world({ store, start: first.clock.now() + HOUR });
    second.schedules.open(configured);
    expect(second.schedules.get("nightly")?.nextFireAt).toBe(due);
    expect(second.events.types()).toEqual([]);
  });
});
