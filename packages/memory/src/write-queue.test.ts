import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WriteQueue } from "./write-queue.ts";

describe("WriteQueue", () => {
  it("commits writes pushed in one turn of the event loop together, the first one included", async () => {
    const batches: number[][] = [];
    const queue = new WriteQueue<number, number>({
      capacity: 64,
      maxBatch: 8,
      commit: async (items) => {
        batches.push(items);
        return items;
      },
    });
    await Promise.all(Array.from({ length: 12 }, (_, index) => queue.push(index)));
    expect(batches).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
  });

  it("commits every write exactly once, in push order, within capacity and batch bounds, under random interleavings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 2 }), abortWhileBlocked: fc.boolean() }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.boolean(),
        async (capacity, maxBatch, writes, closeEarly) => {
          const committed: number[] = [];
          let maxQueued = 0;
          const queue = new WriteQueue<number, number>({
            capacity,
            maxBatch,
            commit: async (items) => {
              expect(items.length).toBeLessThanOrEqual(maxBatch);
              maxQueued = Math.max(maxQueued, queue.pending - queue.blocked - items.length);
              await new Promise((resolve) => setTimeout(resolve, 0));
              committed.push(...items);
              return items.map((item) => item * 10);
            },
          });
          const outcomes: Array<Promise<string>> = [];
          const aborted = new Set<number>();
          for (const [index, write] of writes.entries()) {
            const controller = new AbortController();
            const wasFull = queue.pending - queue.blocked >= capacity;
            outcomes.push(
              queue.push(index, controller.signal).then(
                (result) => (result === index * 10 ? "ok" : "wrong"),
                (error: { code?: string }) => error.code ?? "error",
              ),
            );
            if (write.abortWhileBlocked && queue.blocked > 0 && wasFull) {
              controller.abort();
              aborted.add(index);
            }
            for (let tick = 0; tick < write.delay; tick++) await Promise.resolve();
          }
          const closing = closeEarly ? queue.close() : queue.flush();
          const results = await Promise.all(outcomes);
          await closing;
          const expected = writes.map((_, index) => index).filter((index) => !aborted.has(index));
          expect(committed).toEqual(expected);
          results.forEach((result, index) => {
            expect(result).toBe(aborted.has(index) ? "ABORTED" : "ok");
          });
          expect(maxQueued).toBeLessThanOrEqual(capacity);
          expect(queue.pending).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("refuses pushes after close but drains what was pushed before", async () => {
    const seen: string[] = [];
    const queue = new WriteQueue<string, string>({
      capacity: 2,
      maxBatch: 1,
      commit: async (items) => {
        seen.push(...items);
        return items;
      },
    });
    const pushed = ["a", "b", "c", "d"].map((item) => queue.push(item));
    await queue.close();
    expect(await Promise.all(pushed)).toEqual(["a", "b", "c", "d"]);
    await expect(queue.push("late")).rejects.toMatchObject({ code: "MEMORY_CLOSED" });
    expect(seen).toEqual(["a", "b", "c", "d"]);
  });

  it("fails the whole batch with the commit's error and carries on with the next", async () => {
    let calls = 0;
    const queue = new WriteQueue<number, number>({
      capacity: 10,
      maxBatch: 10,
      commit: async (items) => {
        calls += 1;
        if (calls === 1) throw new Error("disk full");
        return items;
      },
    });
    // Pushed in one turn: one batch, failed together.
    const first = queue.push(1);
    const second = queue.push(2);
    await expect(first).rejects.toThrow("disk full");
    await expect(second).rejects.toThrow("disk full");
    expect(await queue.push(3)).toBe(3);
    expect(calls).toBe(2);
  });
});
