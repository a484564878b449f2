import { KernelError } from "@oxios/core";
import { createMemoryLogger } from "@oxios/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventBus } from "./event-bus.ts";
import type { KernelEvent, KernelEventOf } from "./events.ts";
import { createEvent } from "./publisher.ts";

const admitted = (taskId: string, source = "scheduler"): KernelEventOf<"task.admitted"> =>
  createEvent("task.admitted", { taskId, waitingMs: 1, attempt: 1 }, source, 1000);

function drainNow(iterator: AsyncIterator<KernelEvent>): Promise<IteratorResult<KernelEvent>> {
  return iterator.next();
}

describe("EventBus.publish", () => {
  it("rejects a malformed event with EVENT_INVALID before delivering to anyone", () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on("*", (event) => seen.push(event.type));
    const subscription = bus.subscribe({ name: "all", bufferSize: 4 });
    const bad = { ...admitted("t1"), payload: { taskId: "t1", attempt: 1 } };
    const error = (() => {
      try {
        bus.publish(bad as never);
      } catch (caught) {
        return caught;
      }
    })();
    expect(KernelError.hasCode(error, "EVENT_INVALID")).toBe(true);
    expect((error as KernelError).details).toMatchObject({ type: "task.admitted", field: "waitingMs" });
    expect(() => bus.publish({ ...admitted("t1"), type: "task.exploded" } as never)).toThrow(/unknown type/);
    expect(seen).toEqual([]);
    expect(subscription.stats().buffered).toBe(0);
    expect(bus.stats().published).toBe(0);
  });

  it("counts deliveries and drops for each publish", () => {
    const bus = new EventBus();
    bus.on("task.admitted", () => undefined);
    bus.on({ prefix: "task." }, () => undefined);
    bus.on("agent.started", () => undefined);
    const small = bus.subscribe({ name: "small", bufferSize: 1, types: ["task.admitted"] });
    expect(bus.publish(admitted("a"))).toEqual({ delivered: 3, dropped: 0 });
    expect(bus.publish(admitted("b"))).toEqual({ delivered: 2, dropped: 1 });
    expect(small.stats().lost).toBe(1);
    expect(bus.stats()).toMatchObject({ published: 2, delivered: 5, dropped: 1 });
  });

  it("filters by type, type list, prefix and wildcard", () => {
    const bus = new EventBus();
    const byType: string[] = [];
    const byList: string[] = [];
    const byPrefix: string[] = [];
    const all: string[] = [];
    bus.on("space.created", (event) => byType.push(event.payload.name));
    bus.on(["space.created", "space.removed"], (event) => byList.push(event.type));
    bus.on({ prefix: "agent" }, (event) => byPrefix.push(event.type));
    bus.on("*", (event) => all.push(event.type));
    bus.publish(createEvent("space.created", { spaceId: "s", name: "n", source: "manual" }, "space"));
    bus.publish(createEvent("space.removed", { spaceId: "s", name: "n" }, "space"));
    bus.publish(createEvent("agent.started", { agentId: "a", runId: "r" }, "supervisor"));
    bus.publish(createEvent("agent-group.created", { groupId: "g", agentIds: [] }, "supervisor"));
    expect(byType).toEqual(["n"]);
    expect(byList).toEqual(["space.created", "space.removed"]);
    expect(byPrefix).toEqual(["agent.started", "agent-group.created"]);
    expect(all).toHaveLength(4);
    expect(() => bus.on({ prefix: "nothing." }, () => undefined)).toThrow(/matches no event type/);
    expect(() => bus.on("task.exploded" as never, () => undefined)).toThrow(/unknown event type/);
  });

  it("unsubscribes a listener, including one function registered twice", () => {
    const bus = new EventBus();
    let calls = 0;
    const listener = (): void => {
      calls += 1;
    };
    const first = bus.on("task.admitted", listener);
    const second = bus.on("task.admitted", listener);
    bus.publish(admitted("a"));
    first();
    bus.publish(admitted("b"));
    second();
    bus.publish(admitted("c"));
    expect(calls).toBe(3);
    expect(bus.stats().listeners).toBe(0);
  });
});

describe("EventBus.isObserved", () => {
  it("is true exactly while a listener or subscription matches the type", () => {
    const bus = new EventBus();
    expect(bus.isObserved("agent.output")).toBe(false);
    const off = bus.on({ prefix: "agent." }, () => undefined);
    expect(bus.isObserved("agent.output")).toBe(true);
    expect(bus.isObserved("task.admitted")).toBe(false);
    off();
    expect(bus.isObserved("agent.output")).toBe(false);
    const subscription = bus.subscribe({ name: "tail", bufferSize: 4, types: ["agent.output"] });
    expect(bus.isObserved("agent.output")).toBe(true);
    subscription.close();
    expect(bus.isObserved("agent.output")).toBe(false);
  });
});

describe("a throwing listener", () => {
  it("is isolated: later listeners still run, the publisher is untouched, the failure is reported", () => {
    const logger = createMemoryLogger();
    const bus = new EventBus({ logger, now: () => 5 });
    const seen: string[] = [];
    const failures: KernelEventOf<"bus.listener-failed">[] = [];
    bus.on("bus.listener-failed", (event) => failures.push(event));
    bus.on(
      "task.admitted",
      () => {
        throw new Error("boom");
      },
      { name: "exploder" },
    );
    bus.on("task.admitted", (event) => seen.push(event.payload.taskId));
    const result = bus.publish(admitted("a"));
    expect(result).toEqual({ delivered: 2, dropped: 0 });
    expect(seen).toEqual(["a"]);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.payload).toEqual({
      listener: "exploder",
      eventType: "task.admitted",
      error: { code: "BUS_LISTENER_FAILED", message: "boom" },
    });
    expect(bus.stats().listenerFailures).toBe(1);
    expect(logger.records.some((record) => record.level === "error" && record.fields.listener === "exploder")).toBe(
      true,
    );
  });

  it("that also throws on the failure report does not loop", () => {
    const bus = new EventBus();
    bus.on("*", () => {
      throw new Error("always");
    });
    expect(bus.publish(admitted("a"))).toEqual({ delivered: 1, dropped: 0 });
    // one failure for task.admitted, one for the bus.listener-failed it raised, then no more
    expect(bus.stats().listenerFailures).toBe(2);
    expect(bus.stats().published).toBe(2);
  });
});

describe("buffered subscriptions", () => {
  it("yields events in order and ends when the bus closes, after draining its queue", async () => {
    const bus = new EventBus();
    const subscription = bus.subscribe({ name: "reader", bufferSize: 8, types: ["task.admitted"] });
    bus.publish(admitted("a"));
    bus.publish(admitted("b"));
    const pending = bus.subscribe({ name: "waiting", bufferSize: 2 });
    const waiting = drainNow(pending);
    bus.close();
    const ids: string[] = [];
    for await (const event of subscription) if (event.type === "task.admitted") ids.push(event.payload.taskId);
    expect(ids).toEqual(["a", "b"]);
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(() => bus.publish(admitted("c"))).toThrow(expect.objectContaining({ code: "BUS_CLOSED" }));
  });

  it("hands an event straight to a waiting consumer", async () => {
    const bus = new EventBus();
    const subscription = bus.subscribe({ name: "reader", bufferSize: 1 });
    const next = subscription.next();
    bus.publish(admitted("a"));
    bus.publish(admitted("b"));
    expect(((await next).value as KernelEventOf<"task.admitted">).payload.taskId).toBe("a");
    expect(((await subscription.next()).value as KernelEventOf<"task.admitted">).payload.taskId).toBe("b");
    expect(subscription.stats().lost).toBe(0);
  });

  it("rejects bad options and duplicate names", () => {
    const bus = new EventBus();
    bus.subscribe({ name: "one", bufferSize: 1 });
    expect(() => bus.subscribe({ name: "one", bufferSize: 1 })).toThrow(
      expect.objectContaining({ code: "BUS_SUBSCRIPTION_EXISTS" }),
    );
    expect(() => bus.subscribe({ name: "two", bufferSize: 0 })).toThrow(
      expect.objectContaining({ code: "BUS_SUBSCRIPTION_INVALID" }),
    );
  });

  it("a slow subscriber loses exact counts, and each lag episode raises exactly one bus.lagged", async () => {
    const bus = new EventBus();
    const lagged: Array<{ subscriber: string; lost: number }> = [];
    bus.on("bus.lagged", (event) => lagged.push(event.payload));
    const slow = bus.subscribe({ name: "slow", bufferSize: 4, types: ["task.admitted", "bus.lagged"] });
    const dropped: number[] = [];
    for (let index = 0; index < 10; index++) dropped.push(bus.publish(admitted(`a${index}`)).dropped);
    expect(dropped).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(lagged).toEqual([]);
    await slow.next();
    expect(lagged).toEqual([{ subscriber: "slow", lost: 6 }]);
    for (let index = 0; index < 5; index++) bus.publish(admitted(`b${index}`));
    // queue held a1..a3 + the bus.lagged, so all five were lost: a second episode
    await slow.next();
    await slow.next();
    expect(lagged).toEqual([
      { subscriber: "slow", lost: 6 },
      { subscriber: "slow", lost: 5 },
    ]);
    expect(slow.stats().lost).toBe(11);
    slow.close();
    expect(bus.stats().subscriptions).toEqual([]);
  });

  it("lost counts match a model for any mix of publishes and pulls (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.oneof(fc.constant("publish" as const), fc.constant("pull" as const)), { maxLength: 80 }),
        async (bufferSize, operations) => {
          const bus = new EventBus();
          const lagged: number[] = [];
          bus.on("bus.lagged", (event) => lagged.push(event.payload.lost));
          const subscription = bus.subscribe({ name: "model", bufferSize, types: ["task.admitted"] });
          let queued = 0;
          let episode = 0;
          const episodes: number[] = [];
          let lost = 0;
          let next = 0;
          const received: number[] = [];
          for (const operation of operations) {
            if (operation === "publish") {
              const result = bus.publish(admitted(String(next++)));
              if (queued === bufferSize) {
                expect(result.dropped).toBe(1);
                lost += 1;
                episode += 1;
              } else {
                expect(result.dropped).toBe(0);
                queued += 1;
              }
            } else if (queued > 0) {
              const item = await subscription.next();
              received.push(Number((item.value as KernelEventOf<"task.admitted">).payload.taskId));
              queued -= 1;
              if (episode > 0) episodes.push(episode);
              episode = 0;
            }
          }
          subscription.close();
          if (episode > 0) episodes.push(episode);
          expect(subscription.stats().lost).toBe(lost);
          expect(lagged).toEqual(episodes);
          expect([...received].sort((a, b) => a - b)).toEqual(received);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("ordering", () => {
  it("every subscriber sees each publisher's events in publish order, under any interleaving (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 120 }),
        fc.array(fc.boolean(), { maxLength: 120 }),
        async (publishers, pulls) => {
          const bus = new EventBus();
          const sync: KernelEvent[] = [];
          bus.on("task.admitted", (event) => sync.push(event));
          // A listener that republishes: nested publishes must not reorder anyone's stream.
          bus.on("task.admitted", (event) => {
            if (event.payload.taskId.endsWith(":0")) bus.publish(admitted(`${event.payload.taskId}:echo`, "echo"));
          });
          const subscription = bus.subscribe({ name: "buffered", bufferSize: 1000 });
          const buffered: KernelEvent[] = [];
          const counters = [0, 0, 0, 0];
          let pull = 0;
          for (const publisher of publishers) {
            const count = counters[publisher] as number;
            counters[publisher] = count + 1;
            bus.publish(admitted(`${publisher}:${count}`, `p${publisher}`));
            if (pulls[pull++] === true) buffered.push((await subscription.next()).value as KernelEvent);
          }
          bus.close();
          for await (const event of subscription) buffered.push(event);
          for (const stream of [sync, buffered]) {
            const last = new Map<string, number>();
            for (const event of stream) {
              if (event.type !== "task.admitted" || event.source === "echo") continue;
              const [publisher, count] = event.payload.taskId.split(":").map(Number) as [number, number];
              expect(count).toBe((last.get(String(publisher)) ?? -1) + 1);
              last.set(String(publisher), count);
            }
          }
          expect(buffered.filter((event) => event.source !== "echo")).toHaveLength(publishers.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});
