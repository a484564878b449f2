import { KernelError } from "@oxios/core";
import { createMemoryLogger, ManualClock } from "@oxios/core/testing";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { EventBus } from "../event-bus.ts";
import type { KernelEventOf } from "../events.ts";
import { createEvent } from "../publisher.ts";
import type { AuditChainState, AuditEntry } from "./audit-entry.ts";
import type { AuditQuery, AuditStore } from "./audit-store.ts";
import { AuditSubscriber, auditInputOf } from "./audit-subscriber.ts";
import { AuditTrail } from "./audit-trail.ts";
import { MemoryAuditStore } from "./memory-audit-store.ts";

const admitted = (taskId: string): KernelEventOf<"task.admitted"> =>
  createEvent("task.admitted", { taskId, waitingMs: 1, attempt: 1 }, "scheduler", 1000);

/** A real MemoryAuditStore whose writes can be switched off, like a full disk. */
class FlakyStore implements AuditStore {
  readonly inner = new MemoryAuditStore();
  failing = false;
  state(): Promise<AuditChainState> {
    return this.inner.state();
  }
  append(entries: readonly AuditEntry[], expectedLastSeq: number): Promise<void> {
    if (this.failing) return Promise.reject(new Error("disk full"));
    return this.inner.append(entries, expectedLastSeq);
  }
  prune(firstSeq: number): Promise<AuditChainState> {
    return this.inner.prune(firstSeq);
  }
  read(fromSeq: number, limit: number): Promise<AuditEntry[]> {
    return this.inner.read(fromSeq, limit);
  }
  query(filter: AuditQuery): Promise<AuditEntry[]> {
    return this.inner.query(filter);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe("AuditSubscriber", () => {
  it("with a window, events arriving within it share one transaction; flush does not wait for it", async () => {
    const clock = new ManualClock();
    const bus = new EventBus();
    const trail = await AuditTrail.open({ store: new MemoryAuditStore(), publisher: bus, clock });
    const audit = new AuditSubscriber({ bus, trail, clock, windowMs: 50 });
    for (let tick = 0; tick < 5; tick++) {
      if (tick > 0) await clock.advanceAsync(10);
      bus.publish({ ...admitted("t"), id: `w${tick}` });
    }
    expect(audit.stats().recorded).toBe(0);
    await clock.advanceAsync(10);
    await vi.waitFor(() => expect(audit.stats().recorded).toBe(5), { timeout: 60_000 });
    expect(trail.stats().commits).toBe(1);
    bus.publish({ ...admitted("t"), id: "late" });
    await audit.flush();
    expect(audit.stats().recorded).toBe(6);
    expect(trail.stats().commits).toBe(2);
  });

  it("with a window, gathered events join the transaction another append starts, ahead of its entry", async () => {
    const clock = new ManualClock();
    const bus = new EventBus();
    const trail = await AuditTrail.open({ store: new MemoryAuditStore(), publisher: bus, clock });
    const audit = new AuditSubscriber({ bus, trail, clock, windowMs: 50 });
    bus.publish({ ...admitted("t"), id: "w1" });
    bus.publish({ ...admitted("t"), id: "w2" });
    const decision = await trail.append({ actor: "agent:a", action: "tool.allowed", resource: "add" });
    expect(trail.stats().commits).toBe(1);
    expect(decision.seq).toBe(3);
    await audit.flush();
    expect(audit.stats().recorded).toBe(2);
    expect((await trail.query()).map((entry) => entry.details.eventId ?? entry.action)).toEqual([
      "w1",
      "w2",
      "tool.allowed",
    ]);
    // The window ended with the hand-over: nothing is left to write when it would have closed.
    await clock.advanceAsync(50);
    expect(trail.stats().commits).toBe(1);
    expect(await trail.verify()).toMatchObject({ ok: true, count: 3 });
  });

  it("events arriving right after a joined transaction gather for a new window", async () => {
    const clock = new ManualClock();
    const bus = new EventBus();
    const trail = await AuditTrail.open({ store: new MemoryAuditStore(), publisher: bus, clock });
    const audit = new AuditSubscriber({ bus, trail, clock, windowMs: 50 });
    bus.publish({ ...admitted("t"), id: "before" });
    const decision = trail.append({ actor: "agent:a", action: "tool.allowed", resource: "add" });
    // Published while the joined transaction is being written, as the gate's next event is.
    bus.publish({ ...admitted("t"), id: "during" });
    await decision;
    await vi.waitFor(() => expect(audit.stats().recorded).toBe(1), { timeout: 60_000 });
    expect(trail.stats().commits).toBe(1);
    expect(clock.pendingTimers).toBe(1);
    await clock.advanceAsync(50);
    await vi.waitFor(() => expect(audit.stats().recorded).toBe(2), { timeout: 60_000 });
    expect(trail.stats().commits).toBe(2);
  });

  it("a joined transaction that fails keeps the events in the backlog, and they are retried", async () => {
    const clock = new ManualClock();
    const bus = new EventBus();
    const store = new FlakyStore();
    const trail = await AuditTrail.open({ store, publisher: bus, clock });
    const audit = new AuditSubscriber({ bus, trail, clock, windowMs: 50, retryMs: 1000 });
    bus.publish({ ...admitted("t"), id: "w1" });
    store.failing = true;
    await expect(trail.append({ actor: "agent:a", action: "tool.allowed", resource: "add" })).rejects.toMatchObject({
      code: "AUDIT_STORE_FAILED",
    });
    await vi.waitFor(() => expect(audit.stats().failures).toBe(1), { timeout: 60_000 });
    expect(audit.stats()).toMatchObject({ recorded: 0, backlog: 1 });
    store.failing = false;
    // The retry timer starts a new drain, which gathers for its window again; flush ends it.
    await clock.advanceAsync(1000);
    await audit.flush();
    expect(audit.stats()).toMatchObject({ recorded: 1, backlog: 0, failures: 1 });
    expect((await trail.query()).map((entry) => entry.details.eventId)).toEqual(["w1"]);
  });

  it("onTransactionStart calls its listener once per new transaction until it is removed", async () => {
    const clock = new ManualClock();
    const bus = new EventBus();
    const trail = await AuditTrail.open({ store: new MemoryAuditStore(), publisher: bus, clock });
    const audit = new AuditSubscriber({ bus, trail, clock, windowMs: 50 });
    await audit.detach();
    let called = 0;
    const stop = trail.onTransactionStart(() => {
      called += 1;
    });
    const decide = async () => {
      await trail.append({ actor: "agent:a", action: "tool.allowed", resource: "add" });
      await trail.flush();
    };
    await decide();
    await decide();
    expect(called).toBe(2);
    stop();
    await decide();
    expect(called).toBe(2);
    expect(trail.stats().commits).toBe(3);
  });

  it("a burst past every internal bound ends with audit count = published count and a chain that verifies", async () => {
    const bus = new EventBus();
    const trail = await AuditTrail.open({ store: new MemoryAuditStore(), publisher: bus });
    const audit = new AuditSubscriber({ bus, trail });
    // Big enough to cross every bound on the way: 10 subscriber batches (1,000), 5 trail group
    // commits (2,000), the backlog's compaction (past 4,096 recorded) and the store's (1,024).
    // The 100,000-event burst is in the bench (`pnpm --filter @oxios/event-bus bench`).
    const total = 10_000;
    let dropped = 0;
    const event = admitted("t");
    for (let index = 0; index < total; index++) dropped += bus.publish({ ...event, id: `e${index}` }).dropped;
    expect(dropped).toBe(0);
    expect(audit.stats()).toMatchObject({ received: total, backlog: total, highWater: total });
    await audit.flush();
    expect(audit.stats()).toMatchObject({ received: total, recorded: total, backlog: 0, highWater: total });
    expect(trail.stats().count).toBe(total);
    expect(trail.stats().commits).toBeGreaterThanOrEqual(total / 2_000);
    expect(await trail.verify()).toEqual({ ok: true, count: total, firstSeq: 1, lastSeq: total });
    const [first] = await trail.query({ limit: 1 });
    expect(first?.details).toMatchObject({ eventId: "e0", source: "scheduler" });
    const [last] = await trail.query({ limit: 1, afterSeq: total - 1 });
    expect(last?.details).toMatchObject({ eventId: `e${total - 1}` });
  });

  it("maps an event to actor, action, resource and details", () => {
    const input = auditInputOf(
      createEvent("tool.denied", { callId: "c1", tool: "exec", agentId: "a7", reason: "policy" }, "tools", 42),
    );
    expect(input).toEqual({
      at: 42,
      actor: "agent:a7",
      action: "tool.denied",
      resource: "call:c1",
      details: {
        eventId: expect.any(String),
        source: "tools",
        payload: { callId: "c1", tool: "exec", agentId: "a7", reason: "policy" },
      },
    });
  });

  it("records who decided an approval as the actor, and a schedule by its name", () => {
    const decided = auditInputOf(
      createEvent("approval.resolved", { approvalId: "ap1", approved: true, by: "operator:alice" }, "tools.gate", 7),
    );
    expect(decided).toMatchObject({ actor: "operator:alice", action: "approval.resolved", resource: "approval:ap1" });
    const fired = auditInputOf(
      createEvent(
        "schedule.fired",
        { scheduleId: "release-notes", scheduledAt: 5, trigger: "timer", taskId: "t1" },
        "scheduler.schedules",
        7,
      ),
    );
    expect(fired).toMatchObject({ actor: "scheduler.schedules", resource: "task:t1" });
    const created = auditInputOf(
      createEvent("schedule.created", { scheduleId: "release-notes", source: "api" }, "scheduler.schedules", 7),
    );
    expect(created.resource).toBe("schedule:release-notes");
  });

  it("skips telemetry types by default and records only what it listens to", async () => {
    const bus = new EventBus();
    const trail = await AuditTrail.open({ store: new MemoryAuditStore() });
    const audit = new AuditSubscriber({ bus, trail });
    bus.publish(createEvent("agent.output", { agentId: "a", text: "hello" }, "runtime"));
    bus.publish(admitted("t"));
    await audit.flush();
    expect((await trail.query()).map((entry) => entry.action)).toEqual(["task.admitted"]);
  });

  it("keeps events through a store failure and records them once the store recovers", async () => {
    const clock = new ManualClock(0);
    const bus = new EventBus();
    const failed: KernelEventOf<"audit.failed">[] = [];
    bus.on("audit.failed", (event) => failed.push(event));
    const store = new FlakyStore();
    const trail = await AuditTrail.open({ store, publisher: bus, clock });
    const audit = new AuditSubscriber({ bus, trail, clock, retryMs: 500 });
    bus.publish(admitted("a"));
    await audit.flush();
    store.failing = true;
    bus.publish(admitted("b"));
    bus.publish(admitted("c"));
    const error = await audit.flush().catch((caught: unknown) => caught);
    expect(KernelError.hasCode(error, "AUDIT_STORE_FAILED")).toBe(true);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(audit.stats()).toMatchObject({ received: 3, recorded: 1, backlog: 2 });
    expect(clock.pendingTimers).toBe(1);
    store.failing = false;
    await clock.advanceAsync(500);
    await audit.flush();
    expect(audit.stats()).toMatchObject({ received: 3, recorded: 3, backlog: 0 });
    expect((await trail.query()).map((entry) => (entry.details.payload as { taskId: string }).taskId)).toEqual([
      "a",
      "b",
      "c",
    ]);
    expect(await trail.verify()).toMatchObject({ ok: true, count: 3 });
    await audit.detach();
    bus.publish(admitted("d"));
    expect(audit.stats().received).toBe(3);
  });

  it("records an event whose payload the canonical encoding cannot hold as unrecordable, not never", async () => {
    const bus = new EventBus();
    const trail = await AuditTrail.open({ store: new MemoryAuditStore() });
    const audit = new AuditSubscriber({ bus, trail });
    const event = admitted("big");
    bus.publish({ ...event, payload: { ...event.payload, extra: 1n } as never });
    await audit.flush();
    const [entry] = await trail.query();
    expect(entry?.details).toMatchObject({ eventId: event.id, unrecordable: expect.stringContaining("bigint") });
  });
  it("closing the trail while the subscriber is attached records its backlog, stops it listening and leaves no timer", async () => {
    const clock = new ManualClock(0);
    const bus = new EventBus();
    const logger = createMemoryLogger();
    const trail = await AuditTrail.open({ store: new MemoryAuditStore(), clock, logger });
    const audit = new AuditSubscriber({ bus, trail, clock, logger, retryMs: 1000 });
    for (const id of ["a", "b", "c"]) bus.publish(admitted(id));
    await trail.close();
    expect(audit.stats()).toMatchObject({ received: 3, recorded: 3, backlog: 0, lost: 0 });
    bus.publish(admitted("after"));
    expect(audit.stats().received).toBe(3);
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceAsync(60_000);
    expect(logger.find("warn")).toEqual([]);
    expect(logger.find("error")).toEqual([]);
    await audit.detach();
    await audit.flush();
  });

  it("a trail that refuses an append as closed stops the subscriber: one error, the events counted as lost, no retry", async () => {
    const clock = new ManualClock(0);
    const bus = new EventBus();
    const logger = createMemoryLogger();
    const store = new FlakyStore();
    const trail = await AuditTrail.open({ store, clock, logger });
    const audit = new AuditSubscriber({ bus, trail, clock, logger, retryMs: 1000 });
    store.failing = true;
    bus.publish(admitted("a"));
    bus.publish(admitted("b"));
    // The close hook's flush fails on the full disk; the trail closes anyway.
    await trail.close();
    expect(logger.find("error", "close hook failed")).toHaveLength(1);
    store.failing = false;
    const error = await audit.flush().catch((caught: unknown) => caught);
    expect(KernelError.hasCode(error, "AUDIT_CLOSED")).toBe(true);
    expect(audit.stats()).toMatchObject({ received: 2, recorded: 0, backlog: 0, lost: 2 });
    expect(logger.find("error", "stopped recording")).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceAsync(60_000);
    await audit.detach();
    bus.publish(admitted("after"));
    expect(audit.stats().received).toBe(2);
    expect(logger.find("error", "stopped recording")).toHaveLength(1);
    const retries = logger.find("warn", "kept in the backlog for retry").length;
    await clock.advanceAsync(60_000);
    expect(logger.find("warn", "kept in the backlog for retry")).toHaveLength(retries);
  });

  it("close() order does not matter: trail first, subscriber first or both at once record every event and end", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("trail-first", "subscriber-first", "together"),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        async (order, before, during) => {
          const clock = new ManualClock(0);
          const bus = new EventBus();
          const trail = await AuditTrail.open({ store: new MemoryAuditStore(), clock });
          const audit = new AuditSubscriber({ bus, trail, clock });
          for (let index = 0; index < before; index++) bus.publish(admitted(`b${index}`));
          const closing =
            order === "trail-first"
              ? trail.close().then(() => audit.detach())
              : order === "subscriber-first"
                ? audit.detach().then(() => trail.close())
                : Promise.all([trail.close(), audit.detach()]);
          // Published while the close is under way: recorded if the subscriber still listens.
          for (let index = 0; index < during; index++) bus.publish(admitted(`d${index}`));
          await closing;
          const stats = audit.stats();
          expect(stats.lost).toBe(0);
          expect(stats.backlog).toBe(0);
          expect(stats.recorded).toBe(stats.received);
          expect(stats.received).toBeGreaterThanOrEqual(before);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
