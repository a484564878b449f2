import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KernelError } from "./errors.ts";
import { LockRegistry } from "./lock-registry.ts";
import type { LockGuard } from "./semaphore.ts";

const locks = new LockRegistry({ "test.outer": 10, "test.middle": 20, "test.inner": 30 });

async function flush(): Promise<void> {
  for (let round = 0; round < 10; round++) await Promise.resolve();
}

describe("Mutex misuse", () => {
  it("release twice fails with LOCK_NOT_HELD", async () => {
    const mutex = locks.mutex("test.outer");
    const guard = await mutex.acquire();
    guard.release();
    expect(() => guard.release()).toThrowError(expect.objectContaining({ code: "LOCK_NOT_HELD" }));
    expect(mutex.locked).toBe(false);
  });

  it("release with another lock's guard fails with LOCK_NOT_HELD", async () => {
    const a = locks.mutex("test.outer", "a");
    const b = locks.mutex("test.outer", "b");
    const guard = await a.acquire();
    expect(() => b.release(guard)).toThrowError(expect.objectContaining({ code: "LOCK_NOT_HELD" }));
    expect(a.locked).toBe(true);
    guard.release();
  });

  it("re-entrant acquire inside withLock fails with LOCK_REENTRANT instead of deadlocking", async () => {
    const mutex = locks.mutex("test.outer");
    await mutex.withLock(async () => {
      await expect(mutex.withLock(() => 1)).rejects.toMatchObject({ code: "LOCK_REENTRANT" });
    });
    expect(mutex.locked).toBe(false);
  });

  it("using-declaration releases", async () => {
    const mutex = locks.mutex("test.outer");
    {
      using guard = await mutex.acquire();
      expect(guard.released).toBe(false);
      expect(mutex.locked).toBe(true);
    }
    expect(mutex.locked).toBe(false);
  });

  it("an already aborted signal rejects without queueing", async () => {
    const mutex = locks.mutex("test.outer");
    const controller = new AbortController();
    controller.abort();
    await expect(mutex.acquire({ signal: controller.signal })).rejects.toMatchObject({ code: "ABORTED" });
    expect(mutex.waiting).toBe(0);
  });

  it("unknown lock names are refused", () => {
    expect(() => (locks as LockRegistry<string>).mutex("nope")).toThrowError(
      expect.objectContaining({ code: "LOCK_UNKNOWN" }),
    );
  });
});

describe("Mutex under random interleavings (property)", () => {
  type Command = { kind: "acquire"; withSignal: boolean } | { kind: "abort"; pick: number } | { kind: "release" };

  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ kind: fc.constant("acquire" as const), withSignal: fc.boolean() }),
    fc.record({ kind: fc.constant("abort" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("release" as const) }),
  );

  it("has at most one holder, grants FIFO among non-aborted waiters, and leaves nobody hanging", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), async (commands) => {
        const mutex = locks.mutex("test.middle");
        let holders = 0;
        let maxHolders = 0;
        const granted: number[] = [];
        const aborted = new Set<number>();
        const settledAsAborted = new Set<number>();
        const guards: LockGuard[] = [];
        const controllers: Array<AbortController | undefined> = [];
        let next = 0;

        const request = (withSignal: boolean): void => {
          const index = next++;
          const controller = withSignal ? new AbortController() : undefined;
          controllers.push(controller);
          mutex.acquire(controller === undefined ? undefined : { signal: controller.signal }).then(
            (guard) => {
              holders += 1;
              maxHolders = Math.max(maxHolders, holders);
              granted.push(index);
              guards.push(guard);
            },
            (error: unknown) => {
              expect(KernelError.hasCode(error, "ABORTED")).toBe(true);
              settledAsAborted.add(index);
            },
          );
        };

        for (const step of commands) {
          if (step.kind === "acquire") request(step.withSignal);
          else if (step.kind === "abort") {
            const candidates = controllers
              .map((controller, index) => ({ controller, index }))
              .filter((entry) => entry.controller !== undefined && !granted.includes(entry.index));
            const chosen = candidates[step.pick % Math.max(candidates.length, 1)];
            if (chosen?.controller !== undefined) {
              chosen.controller.abort();
              aborted.add(chosen.index);
            }
          } else {
            const guard = guards.shift();
            if (guard !== undefined) {
              holders -= 1;
              guard.release();
            }
          }
          await flush();
        }
        // Drain: release until every non-aborted request has been granted.
        for (let rounds = 0; rounds <= next; rounds++) {
          const guard = guards.shift();
          if (guard === undefined) break;
          holders -= 1;
          guard.release();
          await flush();
        }

        expect(maxHolders).toBeLessThanOrEqual(1);
        const expectedOrder = Array.from({ length: next }, (_, index) => index).filter(
          (index) => !settledAsAborted.has(index),
        );
        expect(granted).toEqual(expectedOrder);
        for (const index of settledAsAborted) expect(aborted.has(index)).toBe(true);
        expect(granted.length + settledAsAborted.size).toBe(next);
        expect(mutex.waiting).toBe(0);
        expect(mutex.locked).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe("Semaphore", () => {
  it("admits up to its permits and hands off in order", async () => {
    const semaphore = locks.semaphore("test.outer", 2);
    const first = await semaphore.acquire();
    const second = await semaphore.acquire();
    const order: string[] = [];
    const third = semaphore.acquire().then((guard) => {
      order.push("third");
      return guard;
    });
    const fourth = semaphore.acquire().then((guard) => {
      order.push("fourth");
      return guard;
    });
    await flush();
    expect(order).toEqual([]);
    expect(semaphore.waiting).toBe(2);
    second.release();
    await flush();
    expect(order).toEqual(["third"]);
    first.release();
    await flush();
    expect(order).toEqual(["third", "fourth"]);
    (await third).release();
    (await fourth).release();
    expect(semaphore.available).toBe(2);
  });

  it("rejects invalid permit counts", () => {
    expect(() => locks.semaphore("test.outer", 0)).toThrowError(expect.objectContaining({ code: "LOCK_INVALID" }));
  });
});
