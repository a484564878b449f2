import { afterEach, describe, expect, it } from "vitest";
import { KernelError } from "./errors.ts";
import { configureLockOrder, heldLocksInFlow, lockOrderStatus } from "./lock-order.ts";
import { LockRegistry } from "./lock-registry.ts";
import { ManualClock } from "./testing/manual-clock.ts";

const locks = new LockRegistry({ "test.outer": 10, "test.middle": 20, "test.inner": 30, "test.peer": 20 });

afterEach(() => configureLockOrder({ check: true }));

describe("lock order", () => {
  it("tracks flows on this runtime", () => {
    expect(lockOrderStatus()).toMatchObject({ check: true, tracking: true });
  });

  it("allows strictly increasing ranks across await boundaries", async () => {
    const outer = locks.mutex("test.outer");
    const inner = locks.mutex("test.inner");
    const result = await outer.withLock(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return inner.withLock(async () => {
        await Promise.resolve();
        return heldLocksInFlow().map((lock) => lock.name);
      });
    });
    expect(result).toEqual(["test.outer", "test.inner"]);
    expect(heldLocksInFlow()).toEqual([]);
  });

  it("throws LOCK_ORDER naming both locks when the order is inverted after an await", async () => {
    const outer = locks.mutex("test.outer");
    const inner = locks.mutex("test.inner");
    const error = await inner
      .withLock(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        await outer.acquire();
      })
      .catch((caught: unknown) => caught);
    expect(KernelError.hasCode(error, "LOCK_ORDER")).toBe(true);
    expect((error as Error).message).toContain("test.outer");
    expect((error as Error).message).toContain("test.inner");
    expect(outer.locked).toBe(false);
    expect(inner.locked).toBe(false);
  });

  it("equal ranks may not nest", async () => {
    const middle = locks.mutex("test.middle");
    const peer = locks.mutex("test.peer");
    await expect(middle.withLock(() => peer.withLock(() => 1))).rejects.toMatchObject({ code: "LOCK_ORDER" });
  });

  it("two concurrently interleaved flows holding different locks do not confuse each other", async () => {
    const outer = locks.mutex("test.outer");
    const inner = locks.mutex("test.inner");
    const clock = new ManualClock(0);
    const log: string[] = [];
    // Flow A holds the inner (high-rank) lock while flow B, concurrently, takes the outer lock
    // and then the inner one. If held locks leaked between flows, B's first acquire would throw.
    const flowA = inner.withLock(async () => {
      log.push("A holds inner");
      await clock.sleep(10);
      log.push("A releases inner");
    });
    const flowB = (async () => {
      await Promise.resolve();
      await outer.withLock(async () => {
        log.push("B holds outer");
        await inner.withLock(async () => {
          log.push("B holds inner");
        });
      });
    })();
    await clock.advanceAsync(10);
    await Promise.all([flowA, flowB]);
    expect(log).toEqual(["A holds inner", "B holds outer", "A releases inner", "B holds inner"]);
  });

  it("can be switched off", async () => {
    configureLockOrder({ check: false });
    const outer = locks.mutex("test.outer");
    const inner = locks.mutex("test.inner");
    await expect(inner.withLock(() => outer.withLock(() => "inverted"))).resolves.toBe("inverted");
  });
});
