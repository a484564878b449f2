import { KernelError } from "@oxios/core";
import { describe, expect, it } from "vitest";
import { nextFireAfter, parseGoalSchedule, parseInterval } from "./goal-schedule.ts";

function refusal(input: Record<string, unknown>): { code: string; field: unknown; message: string } {
  try {
    parseGoalSchedule({ name: "job", goal: "do it", ...input }, "api");
  } catch (error) {
    const failure = KernelError.from(error);
    return { code: failure.code, field: (failure.details as { field?: unknown }).field, message: failure.message };
  }
  throw new Error("accepted");
}

/** The next `count` instants after `from`, as ISO strings. */
function instants(cron: string, timezone: string, from: string, count: number): string[] {
  const found: string[] = [];
  let after = Date.parse(from);
  for (let index = 0; index < count; index++) {
    const next = nextFireAfter({ cron, timezone }, after, 0) as number;
    found.push(new Date(next).toISOString());
    after = next;
  }
  return found;
}

describe("parseGoalSchedule", () => {
  it("accepts a weekday cron in a time zone with its defaults", () => {
    expect(
      parseGoalSchedule(
        { name: "release-notes", cron: "0 9 * * 1-5", timezone: "Europe/Berlin", goal: "write notes", agent: "writer" },
        "config",
      ),
    ).toEqual({
      name: "release-notes",
      cron: "0 9 * * 1-5",
      timezone: "Europe/Berlin",
      goal: "write notes",
      agent: "writer",
      missed: "skip",
      overlap: "skip",
      enabled: true,
      source: "config",
    });
  });

  it("refuses a bad cron naming the field, with croner's reason naming the cron field", () => {
    expect(refusal({ cron: "61 9 * * *" })).toMatchObject({
      code: "SCHEDULER_SCHEDULE_INVALID",
      field: "cron",
      message: expect.stringContaining("minute: 61"),
    });
    expect(refusal({ cron: "0 9 * *" })).toMatchObject({ field: "cron" });
    expect(refusal({ cron: "0 9 31 2 *" })).toMatchObject({ field: "cron", message: expect.stringContaining("never") });
  });

  it("refuses an unknown time zone, both or neither of cron and every, and bad policies", () => {
    expect(refusal({ cron: "0 9 * * *", timezone: "Mars/Base" })).toMatchObject({ field: "timezone" });
    expect(refusal({ cron: "0 9 * * *", every: "1h" })).toMatchObject({ field: "every" });
    expect(refusal({})).toMatchObject({ field: "cron" });
    expect(refusal({ every: "soon" })).toMatchObject({ field: "every" });
    expect(refusal({ every: "1h", missed: "always" })).toMatchObject({ field: "missed" });
    expect(refusal({ every: "1h", overlap: "parallel" })).toMatchObject({ field: "overlap" });
    expect(refusal({ every: "1h", name: "Bad Name" })).toMatchObject({ field: "name" });
    expect(refusal({ every: "1h", goal: " " })).toMatchObject({ field: "goal" });
  });

  it("reads intervals in s, m, h and d, at least one second", () => {
    expect(parseInterval("90s")).toBe(90_000);
    expect(parseInterval("1h30m")).toBe(5_400_000);
    expect(parseInterval("1d")).toBe(86_400_000);
    expect(() => parseInterval("0s")).toThrow("at least 1s");
    expect(() => parseInterval("1.5h")).toThrow("duration");
  });
});

describe("nextFireAfter", () => {
  it("keeps 09:00 local on weekdays across both daylight-saving changes in Berlin", () => {
    // Summer time starts on Sunday 2026-03-29 and ends on Sunday 2026-10-25.
    expect(instants("0 9 * * 1-5", "Europe/Berlin", "2026-03-26T12:00:00Z", 3)).toEqual([
      "2026-03-27T08:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
      "2026-03-31T07:00:00.000Z",
    ]);
    expect(instants("0 9 * * 1-5", "Europe/Berlin", "2026-10-22T12:00:00Z", 3)).toEqual([
      "2026-10-23T07:00:00.000Z",
      "2026-10-26T08:00:00.000Z",
      "2026-10-27T08:00:00.000Z",
    ]);
  });

  it("fires a time inside the spring-forward gap once, and a repeated autumn hour once", () => {
    const spring = instants("30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", 3);
    expect(spring[0]).toBe("2026-03-28T01:30:00.000Z");
    expect(spring[2]).toBe("2026-03-30T00:30:00.000Z");
    expect(new Set(spring.map((instant) => instant.slice(0, 10))).size).toBe(3);
    expect(instants("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2)).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
    ]);
  });

  it("is strictly after the given instant", () => {
    const nine = Date.parse("2026-03-27T09:00:00Z");
    expect(nextFireAfter({ cron: "0 9 * * *", timezone: "UTC" }, nine, 0)).toBe(nine + 86_400_000);
    expect(nextFireAfter({ cron: "0 9 * * *", timezone: "UTC" }, nine - 1, 0)).toBe(nine);
  });

  it("keeps an interval aligned to its anchor, whatever instant it is asked from", () => {
    const anchor = 1_000_000;
    const every = { every: "1h", timezone: "UTC" };
    expect(nextFireAfter(every, anchor, anchor)).toBe(anchor + 3_600_000);
    expect(nextFireAfter(every, anchor + 3_600_000, anchor)).toBe(anchor + 7_200_000);
    expect(nextFireAfter(every, anchor + 5 * 3_600_000 + 17, anchor)).toBe(anchor + 6 * 3_600_000);
  });
});
