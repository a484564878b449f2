import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock } from "./manual-clock.ts";

describe("ManualClock", () => {
  it("fires timers in due order, ties in scheduling order, with now() at each due time", () => {
    const clock = new ManualClock(0);
    const fired: Array<[string, number]> = [];
    clock.setTimer(() => fired.push(["c", clock.now()]), 30);
    clock.setTimer(() => fired.push(["a", clock.now()]), 10);
    clock.setTimer(() => fired.push(["b1", clock.now()]), 20);
    clock.setTimer(() => fired.push(["b2", clock.now()]), 20);
    clock.advance(25);
    expect(fired).toEqual([
      ["a", 10],
      ["b1", 20],
      ["b2", 20],
    ]);
    expect(clock.now()).toBe(25);
    clock.advance(5);
    expect(fired.at(-1)).toEqual(["c", 30]);
  });

  it("never fires a timer early (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 30 }),
        (delays, steps) => {
          const clock = new ManualClock(0);
          const firedAt: number[] = [];
          delays.forEach((delay, index) => {
            clock.setTimer(() => {
              firedAt[index] = clock.now();
            }, delay);
          });
          for (const step of steps) clock.advance(step);
          delays.forEach((delay, index) => {
            const at = firedAt[index];
            if (delay <= clock.now()) expect(at).toBe(delay);
            else expect(at).toBeUndefined();
          });
        },
      ),
    );
  });

  it("fires timers that a firing timer schedules inside the same window", () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimer(() => {
      fired.push(clock.now());
      clock.setTimer(() => fired.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  it("cancelled timers never fire", () => {
    const clock = new ManualClock(0);
    let fired = false;
    const timer = clock.setTimer(() => {
      fired = true;
    }, 5);
    timer.cancel();
    clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it("sleep resolves on advance and rejects on abort", async () => {
    const clock = new ManualClock(0);
    const done = clock.sleep(100);
    await clock.advanceAsync(100);
    await expect(done).resolves.toBeUndefined();
    const controller = new AbortController();
    const aborted = clock.sleep(100, controller.signal);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: "ABORTED" });
    expect(clock.pendingTimers).toBe(0);
  });

  it("rejects moving backwards", () => {
    expect(() => new ManualClock().advance(-1)).toThrowError(expect.objectContaining({ code: "CLOCK_INVALID" }));
  });
});
