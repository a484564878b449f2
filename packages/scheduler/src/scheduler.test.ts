import { KernelError } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import { describe, expect, it } from "vitest";
import { Scheduler, type SchedulerOptions } from "./scheduler.ts";
import type { Lease } from "./task.ts";
import type { TaskStore, TaskStoreWrite } from "./task-store.ts";

function setup(options: SchedulerOptions = {}) {
  const clock = new ManualClock();
  const events = new RecordingPublisher();
  const scheduler = new Scheduler({ clock, events, ratePerMinute: Number.POSITIVE_INFINITY, ...options });
  return { clock, events, scheduler };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return KernelError.isInstance(error) ? error.code : `not a KernelError: ${String(error)}`;
  }
  return undefined;
}

const ids = (records: ReadonlyArray<{ id: string }>) => records.map((record) => record.id);

describe("admission", () => {
  it("never runs more than maxConcurrent and admits the next task when a slot frees", () => {
    const { scheduler } = setup({ maxConcurrent: 2 });
    for (const id of ["a", "b", "c", "d"]) scheduler.submit({ id });
    expect(ids(scheduler.running())).toEqual(["a", "b"]);
    expect(ids(scheduler.queued())).toEqual(["c", "d"]);
    scheduler.complete("a");
    expect(ids(scheduler.running())).toEqual(["b", "c"]);
    scheduler.fail("b", new Error("boom"));
    expect(ids(scheduler.running())).toEqual(["c", "d"]);
  });

  it("orders by priority, FIFO among equals", () => {
    const { scheduler } = setup({ maxConcurrent: 1 });
    scheduler.submit({ id: "blocker" });
    scheduler.submit({ id: "n1", priority: "normal" });
    scheduler.submit({ id: "l1", priority: "low" });
    scheduler.submit({ id: "c1", priority: "critical" });
    scheduler.submit({ id: "n2", priority: "normal" });
    scheduler.submit({ id: "h1", priority: "high" });
    scheduler.submit({ id: "c2", priority: "critical" });
    expect(ids(scheduler.queued())).toEqual(["c1", "c2", "h1", "n1", "n2", "l1"]);
    const order: string[] = [];
    let current = "blocker";
    for (let step = 0; step < 6; step++) {
      scheduler.complete(current);
      current = scheduler.running()[0]?.id as string;
      order.push(current);
    }
    expect(order).toEqual(["c1", "c2", "h1", "n1", "n2", "l1"]);
  });

  it("ages: a low task waiting 2 × agingMs runs before a new high task, 3 × before a new critical one", () => {
    const { clock, scheduler } = setup({ maxConcurrent: 1, agingMs: 1000 });
    scheduler.submit({ id: "blocker" });
    scheduler.submit({ id: "low", priority: "low" });
    clock.advance(1999);
    scheduler.submit({ id: "high-early", priority: "high" });
    clock.advance(1);
    scheduler.submit({ id: "high-late", priority: "high" });
    expect(ids(scheduler.queued())).toEqual(["high-early", "low", "high-late"]);

    const second = setup({ maxConcurrent: 1, agingMs: 1000 });
    second.scheduler.submit({ id: "blocker" });
    second.scheduler.submit({ id: "low", priority: "low" });
    second.clock.advance(2999);
    second.scheduler.submit({ id: "critical-early", priority: "critical" });
    second.clock.advance(1);
    second.scheduler.submit({ id: "critical-late", priority: "critical" });
    expect(ids(second.scheduler.queued())).toEqual(["critical-early", "low", "critical-late"]);
  });

  it("with aging off, priority is strict", () => {
    const { clock, scheduler } = setup({ maxConcurrent: 1, agingMs: Number.POSITIVE_INFINITY, zombieAfterMs: 1e12 });
    scheduler.submit({ id: "blocker" });
    scheduler.submit({ id: "low", priority: "low" });
    clock.advance(10_000_000);
    scheduler.submit({ id: "normal", priority: "normal" });
    expect(ids(scheduler.queued())).toEqual(["normal", "low"]);
  });

  it("rate limit is exact to the token and refills on the clock", () => {
    const { clock, scheduler } = setup({ maxConcurrent: 100, ratePerMinute: 6 });
    for (let index = 0; index < 10; index++) scheduler.submit({ id: `t${index}` });
    expect(scheduler.stats().admitted).toBe(6);
    for (const record of scheduler.running()) scheduler.complete(record.id);
    // One token every 10 000 ms: not a millisecond earlier.
    clock.advance(9_999);
    expect(scheduler.stats().admitted).toBe(6);
    clock.advance(1);
    expect(scheduler.stats().admitted).toBe(7);
    clock.advance(30_000);
    expect(scheduler.stats().admitted).toBe(10);
  });

  it("rate keys have separate buckets, and per-key overrides apply", () => {
    const { scheduler } = setup({ maxConcurrent: 100, ratePerMinute: 2, rateLimits: { fast: 5 } });
    for (let index = 0; index < 4; index++) scheduler.submit({ id: `slow${index}`, rateKey: "slow" });
    for (let index = 0; index < 8; index++) scheduler.submit({ id: `fast${index}`, rateKey: "fast" });
    const running = scheduler.running();
    expect(running.filter((record) => record.rateKey === "slow")).toHaveLength(2);
    expect(running.filter((record) => record.rateKey === "fast")).toHaveLength(5);
  });

  it("a rate-limited key does not block another key behind it", () => {
    const { scheduler } = setup({ maxConcurrent: 10, ratePerMinute: 1 });
    scheduler.submit({ id: "a1", rateKey: "a", priority: "critical" });
    scheduler.submit({ id: "a2", rateKey: "a", priority: "critical" });
    scheduler.submit({ id: "b1", rateKey: "b", priority: "low" });
    expect(ids(scheduler.running()).sort()).toEqual(["a1", "b1"]);
  });

  it("per-agent cap holds and lets other agents pass", () => {
    const { scheduler } = setup({ maxConcurrent: 10, maxPerAgent: 1 });
    scheduler.submit({ id: "a1", agentId: "A", priority: "critical" });
    scheduler.submit({ id: "a2", agentId: "A", priority: "critical" });
    scheduler.submit({ id: "b1", agentId: "B", priority: "low" });
    expect(ids(scheduler.running())).toEqual(["a1", "b1"]);
    scheduler.complete("a1");
    expect(ids(scheduler.running())).toEqual(["b1", "a2"]);
  });

  it("canAdmit keeps a task queued until reconsidered", () => {
    let budget = 0;
    const { scheduler } = setup({ canAdmit: () => budget > 0 });
    scheduler.submit({ id: "t" });
    expect(scheduler.get("t")?.status).toBe("queued");
    budget = 1;
    scheduler.reconsider();
    expect(scheduler.get("t")?.status).toBe("running");
  });

  it("a canAdmit hook that throws fails the task with SCHEDULER_ADMISSION_HOOK_FAILED", async () => {
    const { scheduler } = setup({
      canAdmit: () => {
        throw new Error("budget service down");
      },
    });
    const handle = scheduler.submit({ id: "t" });
    await expect(handle.admitted).rejects.toMatchObject({ code: "SCHEDULER_ADMISSION_HOOK_FAILED" });
    expect((await handle.settled).status).toBe("failed");
  });
});

describe("waitForGrant (a cluster node's scheduler)", () => {
  it("admits a task only once granted, then under the local limits and in the admission order", () => {
    const { scheduler } = setup({ waitForGrant: true, maxConcurrent: 1 });
    for (const id of ["a", "b", "c"]) scheduler.submit({ id });
    expect(ids(scheduler.running())).toEqual([]);
    expect(ids(scheduler.queued())).toEqual(["a", "b", "c"]);
    expect(scheduler.grant("c")).toBe(true);
    expect(ids(scheduler.running())).toEqual(["c"]);
    // Granted while the slot is taken: both wait in the admission order, `a` first.
    expect(scheduler.grant("b")).toBe(true);
    expect(scheduler.grant("a")).toBe(true);
    expect(scheduler.grant("a")).toBe(false);
    expect(scheduler.grant("c")).toBe(false);
    expect(scheduler.grant("missing")).toBe(false);
    scheduler.complete("c");
    expect(ids(scheduler.running())).toEqual(["a"]);
    scheduler.complete("a");
    expect(ids(scheduler.running())).toEqual(["b"]);
    expect(scheduler.stats()).toMatchObject({ queued: 0, running: 1, admitted: 3 });
  });

  it("admission never asks about a task waiting for its grant, however many wait", () => {
    const asked: string[] = [];
    const { scheduler } = setup({
      waitForGrant: true,
      maxConcurrent: 4,
      canAdmit: (task) => {
        asked.push(task.id);
        return true;
      },
    });
    for (let index = 0; index < 1000; index++) scheduler.submit({ id: `t${index}` });
    expect(asked).toEqual([]);
    scheduler.grant("t500");
    expect(asked).toEqual(["t500"]);
    scheduler.complete("t500");
    expect(asked).toEqual(["t500"]);
    expect(scheduler.stats().queued).toBe(999);
  });

  it("granted lists the granted tasks still queued; cancel, release and drain reach the tasks waiting for a grant", async () => {
    const { scheduler } = setup({ waitForGrant: true, maxConcurrent: 1 });
    scheduler.submit({ id: "running" });
    const granted = scheduler.submit({ id: "granted" });
    const cancelled = scheduler.submit({ id: "cancelled" });
    const released = scheduler.submit({ id: "released" });
    const drained = scheduler.submit({ id: "drained" });
    scheduler.grant("running");
    scheduler.grant("granted");
    expect(ids(scheduler.granted())).toEqual(["granted"]);
    expect(ids(setup().scheduler.granted())).toEqual([]);
    expect(scheduler.cancel("cancelled", "not wanted")).toBe(true);
    expect((await cancelled.settled).status).toBe("cancelled");
    expect(scheduler.release("released", "another node took it")).toBe(true);
    await expect(released.admitted).rejects.toMatchObject({ code: "SCHEDULER_TASK_INTERRUPTED" });
    expect(ids(scheduler.queued())).toEqual(["granted", "drained"]);
    const report = await scheduler.drain({ timeoutMs: 0 });
    expect([...report.released].sort()).toEqual(["drained", "granted"]);
    await expect(granted.admitted).rejects.toMatchObject({ code: "SCHEDULER_DRAINING" });
    await expect(drained.admitted).rejects.toMatchObject({ code: "SCHEDULER_DRAINING" });
    expect(scheduler.stats()).toMatchObject({ queued: 0, running: 0 });
  });

  it("an adopted task comes granted", async () => {
    const { scheduler } = setup({ waitForGrant: true });
    const handle = scheduler.adopt(
      {
        id: "other",
        priority: "normal",
        rateKey: "default",
        createdAt: 0,
        enqueuedAt: 0,
        status: "queued",
        attempts: 1,
      },
      async () => "resumed",
    );
    expect(scheduler.get("other")?.status).toBe("running");
    expect((await handle.settled).status).toBe("completed");
  });
});

describe("run, cancel, leases", () => {
  it("run admits, passes the signal and lease, and completes", async () => {
    const { scheduler, events } = setup();
    const value = await scheduler.run({ id: "t", idempotencyKey: "k" }, async (signal, lease) => {
      expect(signal.aborted).toBe(false);
      expect(lease.attempt).toBe(1);
      expect(lease.idempotencyKey).toBe("k");
      return 42;
    });
    expect(value).toBe(42);
    expect(scheduler.get("t")).toMatchObject({ status: "completed", result: 42, attempts: 1 });
    expect(events.types()).toEqual(["task.queued", "task.admitted", "task.completed"]);
  });

  it("run fails the task when fn throws, and rethrows", async () => {
    const { scheduler } = setup();
    await expect(
      scheduler.run({ id: "t" }, async () => {
        throw new KernelError("LLM_DOWN", "provider down");
      }),
    ).rejects.toMatchObject({ code: "LLM_DOWN" });
    expect(scheduler.get("t")).toMatchObject({ status: "failed", error: { code: "LLM_DOWN" } });
    expect(scheduler.stats()).toMatchObject({ failed: 1, completed: 0 });
  });

  it("run waits for admission when the cap is reached", async () => {
    const { scheduler } = setup({ maxConcurrent: 1 });
    scheduler.submit({ id: "blocker" });
    let ran = false;
    const result = scheduler.run({ id: "t" }, async () => {
      ran = true;
      return "done";
    });
    await Promise.resolve();
    expect(ran).toBe(false);
    scheduler.complete("blocker");
    await expect(result).resolves.toBe("done");
  });

  it("cancel removes a queued task: admitted rejects, settled resolves cancelled", async () => {
    const { scheduler, events } = setup({ maxConcurrent: 1 });
    scheduler.submit({ id: "blocker" });
    const handle = scheduler.submit({ id: "t" });
    expect(scheduler.cancel("t", "user asked")).toBe(true);
    await expect(handle.admitted).rejects.toMatchObject({ code: "SCHEDULER_TASK_CANCELLED" });
    expect(await handle.settled).toMatchObject({ status: "cancelled", error: { message: "user asked" } });
    expect(scheduler.queued()).toEqual([]);
    expect(events.ofType("task.cancelled")[0]?.payload).toMatchObject({ taskId: "t", wasRunning: false });
    expect(scheduler.cancel("t", "again")).toBe(false);
    scheduler.complete("blocker");
    expect(scheduler.stats()).toMatchObject({ admitted: 1, cancelled: 1, completed: 1 });
  });

  it("release gives up a queued task with nothing stored: its admission rejects SCHEDULER_TASK_INTERRUPTED", async () => {
    const written: TaskStoreWrite[] = [];
    const store: TaskStore = {
      write: (change) => {
        written.push(change);
      },
      flush: async () => undefined,
      recover: async () => ({ queued: [], retried: [], failed: [] }),
      close: async () => undefined,
    };
    const { scheduler } = setup({ maxConcurrent: 1, store });
    scheduler.submit({ id: "blocker" });
    const handle = scheduler.submit({ id: "t" });
    scheduler.submit({ id: "next" });
    const before = written.length;
    expect(scheduler.release("t", "another node took it")).toBe(true);
    await expect(handle.admitted).rejects.toMatchObject({
      code: "SCHEDULER_TASK_INTERRUPTED",
      message: "another node took it",
    });
    expect(written.slice(before)).toEqual([]);
    expect(ids(scheduler.queued())).toEqual(["next"]);
    // Not queued (running, released, unknown): nothing to give up.
    expect(scheduler.release("blocker", "no")).toBe(false);
    expect(scheduler.release("t", "again")).toBe(false);
    expect(scheduler.release("missing", "no")).toBe(false);
    scheduler.complete("blocker");
    expect(ids(scheduler.running())).toEqual(["next"]);
  });

  it("cancel aborts a running task through its lease signal and frees the slot", async () => {
    const { scheduler } = setup({ maxConcurrent: 1 });
    let seen: unknown;
    const running = scheduler.run({ id: "t" }, (signal) => {
      return new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          seen = signal.reason;
          reject(signal.reason);
        });
      });
    });
    scheduler.submit({ id: "next" });
    expect(scheduler.cancel("t", "stop")).toBe(true);
    expect(scheduler.get("next")?.status).toBe("running");
    await expect(running).rejects.toMatchObject({ code: "SCHEDULER_TASK_CANCELLED" });
    expect(KernelError.hasCode(seen, "SCHEDULER_TASK_CANCELLED")).toBe(true);
    expect(scheduler.get("t")?.status).toBe("cancelled");
    expect(scheduler.stats()).toMatchObject({ cancelled: 1, failed: 0 });
  });

  it("abort stops a running task's signal but keeps its slot until the runner settles", async () => {
    const { scheduler } = setup({ maxConcurrent: 1 });
    let finish: () => void = () => undefined;
    let seen: AbortSignal | undefined;
    const running = scheduler.run({ id: "a" }, (signal) => {
      seen = signal;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    scheduler.submit({ id: "b" });
    await Promise.resolve();
    expect(scheduler.abort("a", new KernelError("AGENT_KILLED", "stop"))).toBe(true);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toMatchObject({ code: "AGENT_KILLED" });
    // The runner ignores the signal: the cap still holds, b waits.
    expect(ids(scheduler.running())).toEqual(["a"]);
    expect(ids(scheduler.queued())).toEqual(["b"]);
    finish();
    await running;
    expect(ids(scheduler.running())).toEqual(["b"]);
    expect(scheduler.abort("a", new KernelError("AGENT_KILLED", "again"))).toBe(false);
    expect(scheduler.abort("missing", new KernelError("AGENT_KILLED", "x"))).toBe(false);
  });

  it("reaps a running task not heartbeaten within zombieAfterMs", async () => {
    const { clock, scheduler, events } = setup({ maxConcurrent: 1, zombieAfterMs: 1000 });
    const handle = scheduler.submit({ id: "t" });
    const lease: Lease = await handle.admitted;
    scheduler.submit({ id: "next" });
    clock.advance(900);
    expect(lease.heartbeat()).toBe(true);
    clock.advance(999);
    expect(scheduler.get("t")?.status).toBe("running");
    clock.advance(1);
    expect(scheduler.get("t")?.status).toBe("reaped");
    expect(lease.signal.aborted).toBe(true);
    expect(KernelError.hasCode(lease.signal.reason, "SCHEDULER_TASK_REAPED")).toBe(true);
    expect(lease.heartbeat()).toBe(false);
    expect(scheduler.get("next")?.status).toBe("running");
    expect(events.ofType("task.reaped")[0]?.payload).toMatchObject({ taskId: "t", zombieAfterMs: 1000 });
    expect(codeOf(() => scheduler.complete("t"))).toBe("SCHEDULER_TASK_NOT_RUNNING");
    expect(scheduler.stats()).toMatchObject({ reaped: 1, completed: 0 });
  });

  it("a heartbeat whose lease the cluster no longer vouches for aborts the task as interrupted and returns false", async () => {
    let held = true;
    const asked: string[] = [];
    const { scheduler } = setup({
      maxConcurrent: 1,
      leaseHeld: (taskId) => {
        asked.push(taskId);
        return held;
      },
    });
    const lease: Lease = await scheduler.submit({ id: "t" }).admitted;
    expect(lease.heartbeat()).toBe(true);
    expect(lease.signal.aborted).toBe(false);
    held = false;
    expect(lease.heartbeat()).toBe(false);
    expect(asked).toEqual(["t", "t"]);
    // Synchronously: whoever heartbeats before an action sees the abort before acting.
    expect(lease.signal.aborted).toBe(true);
    expect(KernelError.hasCode(lease.signal.reason, "SCHEDULER_TASK_INTERRUPTED")).toBe(true);
    expect(scheduler.get("t")?.status).toBe("running");
  });

  it("stats report real counters and waiting/turnaround percentiles", () => {
    const { clock, scheduler } = setup({ maxConcurrent: 1 });
    for (let index = 0; index < 4; index++) scheduler.submit({ id: `t${index}` });
    for (let index = 0; index < 4; index++) {
      clock.advance(100);
      scheduler.complete(`t${index}`);
    }
    const stats = scheduler.stats();
    expect(stats).toMatchObject({ submitted: 4, admitted: 4, completed: 4, failed: 0, queued: 0, running: 0 });
    expect(stats.waitingMs).toEqual({ p50: 100, p95: 300, samples: 4 });
    expect(stats.turnaroundMs).toEqual({ p50: 200, p95: 400, samples: 4 });
  });
});

describe("bad input", () => {
  it("rejects unknown priorities, bad limits, duplicate ids", () => {
    const { scheduler } = setup();
    expect(codeOf(() => scheduler.submit({ priority: "urgent" as never }))).toBe("SCHEDULER_PRIORITY_INVALID");
    expect(codeOf(() => scheduler.submit({ priority: "toString" as never }))).toBe("SCHEDULER_PRIORITY_INVALID");
    for (const options of [
      { maxConcurrent: 0 },
      { maxConcurrent: -1 },
      { maxConcurrent: 1.5 },
      { maxPerAgent: 0 },
      { ratePerMinute: 0 },
      { ratePerMinute: -5 },
      { agingMs: 0 },
      { zombieAfterMs: -1 },
      { zombieAfterMs: Number.POSITIVE_INFINITY },
      { rateLimits: { a: 0 } },
    ]) {
      expect(codeOf(() => new Scheduler(options))).toBe("SCHEDULER_LIMIT_INVALID");
    }
    scheduler.submit({ id: "x" });
    expect(codeOf(() => scheduler.submit({ id: "x" }))).toBe("SCHEDULER_TASK_DUPLICATE");
    scheduler.complete("x");
    expect(codeOf(() => scheduler.submit({ id: "x" }))).toBe("SCHEDULER_TASK_DUPLICATE");
    expect(codeOf(() => scheduler.submit({ id: "" }))).toBe("SCHEDULER_TASK_INVALID");
  });

  it("completing twice or an unknown task is rejected and not double counted", () => {
    const { scheduler } = setup();
    scheduler.submit({ id: "x" });
    scheduler.complete("x");
    expect(codeOf(() => scheduler.complete("x"))).toBe("SCHEDULER_TASK_NOT_RUNNING");
    expect(codeOf(() => scheduler.fail("x", new Error("late")))).toBe("SCHEDULER_TASK_NOT_RUNNING");
    expect(codeOf(() => scheduler.complete("nope"))).toBe("SCHEDULER_TASK_NOT_FOUND");
    expect(scheduler.stats()).toMatchObject({ completed: 1, failed: 0 });
  });
});

describe("idempotency keys", () => {
  it("a key is taken while its task is live or retained, for the window, and freed after it", () => {
    const { scheduler, clock } = setup({ idempotencyWindowMs: 1_000, retainFinished: 2 });
    scheduler.submit({ id: "first", idempotencyKey: "k" });
    expect(scheduler.findByIdempotencyKey("k")).toMatchObject({ id: "first", status: "running" });
    expect(codeOf(() => scheduler.submit({ id: "second", idempotencyKey: "k" }))).toBe(
      "SCHEDULER_IDEMPOTENCY_KEY_DUPLICATE",
    );
    scheduler.complete("first");
    expect(scheduler.findByIdempotencyKey("k")).toMatchObject({ id: "first", status: "completed" });
    clock.advance(1_001);
    expect(scheduler.findByIdempotencyKey("k")).toBeUndefined();
    expect(scheduler.submit({ id: "third", idempotencyKey: "k" }).id).toBe("third");
    expect(scheduler.stats().submitted).toBe(2);
  });

  it("a key is forgotten with the finished task that held it once retention drops it", () => {
    const { scheduler } = setup({ retainFinished: 1 });
    scheduler.submit({ id: "keyed", idempotencyKey: "k" });
    scheduler.complete("keyed");
    scheduler.submit({ id: "other" });
    scheduler.complete("other");
    expect(scheduler.findByIdempotencyKey("k")).toBeUndefined();
  });
});

describe("drain", () => {
  it("stops admitting, waits for running tasks, then reports", async () => {
    const { clock, scheduler } = setup({ maxConcurrent: 1 });
    scheduler.submit({ id: "running" });
    const queued = scheduler.submit({ id: "queued" });
    const drained = scheduler.drain({ timeoutMs: 1000 });
    expect(codeOf(() => scheduler.submit({ id: "late" }))).toBe("SCHEDULER_DRAINING");
    await expect(queued.admitted).rejects.toMatchObject({ code: "SCHEDULER_DRAINING" });
    clock.advance(500);
    scheduler.complete("running");
    const report = await drained;
    expect(report).toMatchObject({ timedOut: false, released: ["queued"], aborted: [], finishedWhileDraining: 1 });
    expect(scheduler.drain({ timeoutMs: 5 })).toBe(drained);
  });

  it("aborts what is still running at the deadline", async () => {
    const { clock, scheduler } = setup({ maxConcurrent: 2 });
    const handle = scheduler.submit({ id: "slow" });
    const lease = await handle.admitted;
    const drained = scheduler.drain({ timeoutMs: 1000 });
    await clock.advanceAsync(1000);
    const report = await drained;
    expect(report).toMatchObject({ timedOut: true, aborted: ["slow"] });
    expect(lease.signal.aborted).toBe(true);
    expect(scheduler.get("slow")?.status).toBe("cancelled");
    expect(codeOf(() => scheduler.drain({ timeoutMs: -1 }))).toBe("SCHEDULER_LIMIT_INVALID");
  });
});
