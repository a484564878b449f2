import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@oxios/core/testing";
import { openDatabase } from "@oxios/database";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseGoalSchedule } from "../goal-schedule.ts";
import { GoalSchedules, type ScheduleFiring } from "../goal-schedules.ts";
import { LibsqlGoalScheduleStore } from "./libsql-goal-schedule-store.ts";

let directory: string;
let url: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "oxios-schedules-"));
  url = `file:${join(directory, "oxios.db")}`;
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const HOUR = 3_600_000;

describe("libsql goal schedule store", () => {
  it("keeps schedules and their firing state in the file across a restart, which then runs the missed firing once", async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 27, 6, 30));
    const store = await LibsqlGoalScheduleStore.open({ url });
    const firings: ScheduleFiring[] = [];
    const start = async (firing: ScheduleFiring) => {
      firings.push(firing);
      return { taskId: `t${firings.length}`, finished: Promise.resolve() };
    };
    const before = new GoalSchedules({ clock, store, start });
    before.open();
    before.put(
      parseGoalSchedule(
        { name: "report", cron: "0 * * * *", goal: "hourly report", agent: "writer", missed: "run-once" },
        "api",
      ),
      { replace: false },
    );
    await clock.advanceAsync(HOUR);
    expect(firings.map((firing) => firing.trigger)).toEqual(["timer"]);
    await before.close();
    await store.close();

    const later = new ManualClock(clock.now() + 3 * HOUR);
    const reopened = await LibsqlGoalScheduleStore.open({ url });
    expect(reopened.load()).toEqual([
      expect.objectContaining({
        schedule: expect.objectContaining({ name: "report", agent: "writer", missed: "run-once", source: "api" }),
        fired: 1,
        lastTaskId: "t1",
        lastFiredAt: Date.UTC(2026, 2, 27, 7),
        nextFireAt: Date.UTC(2026, 2, 27, 8),
      }),
    ]);
    const after = new GoalSchedules({ clock: later, store: reopened, start });
    expect(after.open()).toEqual({ ran: ["report"], skipped: [] });
    await later.advanceAsync(0);
    expect(firings.at(-1)).toMatchObject({ trigger: "missed", scheduledAt: Date.UTC(2026, 2, 27, 8) });
    expect(reopened.load()[0]).toMatchObject({ fired: 2, nextFireAt: Date.UTC(2026, 2, 27, 11) });
    await after.close();
    expect(reopened.remove("report")).toBe(true);
    expect(reopened.remove("report")).toBe(false);
    await reopened.close();
  });

  it("leaves a row it cannot read out of the load, and in the file", async () => {
    const store = await LibsqlGoalScheduleStore.open({ url });
    store.save({
      schedule: parseGoalSchedule({ name: "ok", every: "1h", goal: "fine" }, "api"),
      createdAt: 1,
      updatedAt: 1,
      fired: 0,
      skipped: 0,
    });
    await store.close();
    const database = await openDatabase({ url });
    database.run(
      "INSERT INTO schedule_goals (name, definition, created_at, updated_at) VALUES ('broken', '{\"cron\":\"99 * * * *\"}', 1, 1)",
    );
    const reopened = await LibsqlGoalScheduleStore.open({ database });
    expect(reopened.load().map((record) => record.schedule.name)).toEqual(["ok"]);
    expect(database.all("SELECT name FROM schedule_goals ORDER BY name")).toEqual([{ name: "broken" }, { name: "ok" }]);
    await reopened.close();
    database.close();
  });
});
