import { describe, expect, it } from "vitest";
import { RequestQueue } from "./request-queue.ts";

/** One turn of the event loop: the queue's slice was scheduled before this. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("RequestQueue", () => {
  it("starts handlers in arrival order, at most one slice per loop turn", async () => {
    let now = 0;
    const errors: unknown[] = [];
    const queue = new RequestQueue({ sliceMs: 5, now: () => now, onError: (error) => errors.push(error) });
    const started: number[] = [];
    // Each handler takes 2 ms of the loop: a slice of 5 ms starts three (at 0, 2 and 4 ms).
    for (let index = 0; index < 10; index++) {
      queue.push(() => {
        started.push(index);
        now += 2;
      });
    }
    expect(started).toEqual([]);
    expect(queue.size).toBe(10);
    await nextTurn();
    expect(started).toEqual([0, 1, 2]);
    await nextTurn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    while (queue.size > 0) await nextTurn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(errors).toEqual([]);
  });

  it("reports a handler that throws and starts the next one", async () => {
    const errors: unknown[] = [];
    const queue = new RequestQueue({ sliceMs: 5, now: () => 0, onError: (error) => errors.push(error) });
    const started: string[] = [];
    const failure = new Error("handler failed");
    queue.push(() => started.push("first"));
    queue.push(() => {
      throw failure;
    });
    queue.push(() => started.push("third"));
    await nextTurn();
    expect(started).toEqual(["first", "third"]);
    expect(errors).toEqual([failure]);
    expect(queue.size).toBe(0);
  });

  it("schedules a new slice for handlers pushed after the queue emptied", async () => {
    const queue = new RequestQueue({ sliceMs: 5, now: () => 0, onError: () => undefined });
    const started: number[] = [];
    queue.push(() => started.push(1));
    await nextTurn();
    queue.push(() => started.push(2));
    await nextTurn();
    expect(started).toEqual([1, 2]);
  });
});
