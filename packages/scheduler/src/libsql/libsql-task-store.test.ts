import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelError } from "@oxios/core";
import { ManualClock, settle } from "@oxios/core/testing";
import { DatabaseErrorCode, openDatabase, type SqlValue } from "@oxios/database";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Scheduler } from "../scheduler.ts";
import type { TaskRecord } from "../task.ts";
import { LibsqlTaskStore } from "./libsql-task-store.ts";

let directory: string;
let url: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "oxios-scheduler-"));
  url = `file:${join(directory, "queue.db")}`;
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const hang = (signal: AbortSignal) =>
  new Promise<never>((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));

describe("libsql task store", () => {
  it("brings queued tasks back in order after a restart and retries the one whose lease expired", async () => {
    const clock = new ManualClock();
    const first = await LibsqlTaskStore.open({ url });
    const before = new Scheduler({ clock, store: first, maxConcurrent: 1, zombieAfterMs: 10_000, agingMs: 60_000 });
    const blocker = before.run({ id: "blocker", idempotencyKey: "key-blocker" }, hang);
    for (const [id, priority] of [
      ["n1", "normal"],
      ["l1", "low"],
      ["c1", "critical"],
      ["n2", "normal"],
    ] as const) {
      before.submit({ id, priority, payload: { id }, ...(id === "n2" ? { profile: "researcher" } : {}) });
    }
    await first.flush();
    // The process "dies": nothing is finished, the store is simply abandoned.
    await first.close();

    const later = new ManualClock(clock.now() + 10_001);
    const second = await LibsqlTaskStore.open({ url });
    const after = new Scheduler({ clock: later, store: second, maxConcurrent: 1, agingMs: 60_000 });
    const order: string[] = [];
    const seen: TaskRecord[] = [];
    const report = await after.recover(async (task) => {
      order.push(task.id);
      seen.push(task);
      return `done ${task.id}`;
    });
    expect(report.retried).toEqual(["blocker"]);
    await Promise.all(report.requeued.map((handle) => handle.settled));
    // Same order rules as before the crash: priority and age (from the original enqueue), then FIFO.
    expect(order).toEqual(["c1", "blocker", "n1", "n2", "l1"]);
    expect(seen[0]).toMatchObject({ id: "c1", attempts: 1, payload: { id: "c1" } });
    expect(seen[1]).toMatchObject({ id: "blocker", attempts: 2, idempotencyKey: "key-blocker" });
    expect(seen[3]).toMatchObject({ id: "n2", profile: "researcher" });
    expect(seen[2]?.profile).toBeUndefined();
    await after.drain({ timeoutMs: 0 });
    expect(second.list().map((task) => [task.id, task.status, task.attempts])).toEqual([
      ["blocker", "completed", 2],
      ["n1", "completed", 1],
      ["l1", "completed", 1],
      ["c1", "completed", 1],
      ["n2", "completed", 1],
    ]);
    await second.close();
    await before.drain({ timeoutMs: 0 });
    await expect(blocker).rejects.toMatchObject({ code: "SCHEDULER_DRAINING" });
  });

  it("drain waits for recovered runners and reports the ones that ignore their abort", async () => {
    const clock = new ManualClock();
    const first = await LibsqlTaskStore.open({ url });
    const before = new Scheduler({ clock, store: first, maxConcurrent: 2 });
    before.submit({ id: "polite" });
    before.submit({ id: "stubborn" });
    await first.flush();
    await first.close();

    // The first process held both leases when it died; the second starts once they expired.
    const later = new ManualClock(clock.now() + 300_001);
    const second = await LibsqlTaskStore.open({ url });
    const after = new Scheduler({ clock: later, store: second, maxConcurrent: 2 });
    let politeFinished = false;
    let releaseStubborn: () => void = () => undefined;
    const recovered = await after.recover(async (task, signal) => {
      if (task.id === "polite") {
        await hang(signal).catch(() => {
          politeFinished = true;
        });
        return "stopped";
      }
      await new Promise<void>((resolve) => {
        releaseStubborn = resolve;
      });
      return "late";
    });
    await settle();
    expect(recovered.requeued.map((handle) => handle.id).sort()).toEqual(["polite", "stubborn"]);
    expect(
      after
        .running()
        .map((task) => task.id)
        .sort(),
    ).toEqual(["polite", "stubborn"]);
    const draining = after.drain({ timeoutMs: 100 });
    await later.advanceAsync(100);
    const report = await draining;
    expect([...report.aborted].sort()).toEqual(["polite", "stubborn"]);
    expect(politeFinished).toBe(true);
    expect(report.runnersStillRunning).toBe(1);
    releaseStubborn();
    await second.close();
  });

  it("fails a task once it has used maxAttempts, and leaves unexpired leases alone", async () => {
    const clock = new ManualClock();
    const store = await LibsqlTaskStore.open({ url });
    store.write({
      kind: "queued",
      task: {
        id: "tired",
        priority: "normal",
        rateKey: "default",
        createdAt: 0,
        enqueuedAt: 0,
        status: "queued",
        attempts: 0,
      },
    });
    store.write({ kind: "admitted", id: "tired", attempt: 3, owner: "dead", at: 0, leaseExpiresAt: clock.now() - 1 });
    store.write({
      kind: "queued",
      task: {
        id: "alive",
        priority: "normal",
        rateKey: "default",
        createdAt: 0,
        enqueuedAt: 0,
        status: "queued",
        attempts: 0,
      },
    });
    store.write({
      kind: "admitted",
      id: "alive",
      attempt: 1,
      owner: "other",
      at: 0,
      leaseExpiresAt: clock.now() + 5000,
    });
    const scheduler = new Scheduler({ clock, store });
    const report = await scheduler.recover(async () => "never", { maxAttempts: 3 });
    expect(report.requeued).toEqual([]);
    expect(report.failed).toMatchObject([
      { id: "tired", status: "failed", error: { code: "SCHEDULER_ATTEMPTS_EXHAUSTED" } },
    ]);
    expect(report.nextLeaseExpiryAt).toBe(clock.now() + 5000);
    expect(store.list().map((task) => [task.id, task.status])).toEqual([
      ["tired", "failed"],
      ["alive", "running"],
    ]);
    await store.close();
  });

  it("group commit puts the writes of one window in one transaction", async () => {
    const grouped = await LibsqlTaskStore.open({ url });
    const scheduler = new Scheduler({ store: grouped, maxConcurrent: 4, ratePerMinute: Number.POSITIVE_INFINITY });
    for (let index = 0; index < 50; index++) scheduler.submit({ id: `g${index}` });
    await grouped.flush();
    expect(grouped.commits).toBe(1);
    await grouped.close();

    const single = await LibsqlTaskStore.open({ url: `file:${join(directory, "single.db")}`, groupCommit: false });
    const other = new Scheduler({ store: single, maxConcurrent: 4, ratePerMinute: Number.POSITIVE_INFINITY });
    for (let index = 0; index < 50; index++) other.submit({ id: `s${index}` });
    // 50 inserts + 4 admissions, one transaction each.
    expect(single.commits).toBe(54);
    await single.close();
  });

  it("looks for a stored task only under a caller's id: an id the scheduler or its caller made just now is new", async () => {
    const real = await openDatabase({ url });
    let lookups = 0;
    const database = new Proxy(real, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== "get" || typeof value !== "function") {
          return typeof value === "function" ? value.bind(target) : value;
        }
        return (sql: string, params?: readonly SqlValue[]) => {
          if (sql.startsWith("SELECT 1 AS found FROM scheduler_tasks")) lookups++;
          return target.get(sql, params);
        };
      },
    });
    const store = await LibsqlTaskStore.open({ database });
    const scheduler = new Scheduler({ store, maxConcurrent: 1 });
    for (let index = 0; index < 5; index++) scheduler.submit({});
    expect(lookups).toBe(0);
    for (let index = 0; index < 5; index++) scheduler.submit({ id: `caller-${index}` });
    expect(lookups).toBe(5);
    for (let index = 0; index < 5; index++) scheduler.submit({ id: `fresh-${index}`, freshId: true });
    expect(lookups).toBe(5);
    // Still refused when the scheduler knows the id, fresh or not.
    expect(() => scheduler.submit({ id: "fresh-0", freshId: true })).toThrow(
      expect.objectContaining({ code: "SCHEDULER_TASK_DUPLICATE" }),
    );
    expect(() => scheduler.submit({ id: "odd", freshId: "yes" as unknown as boolean })).toThrow(
      expect.objectContaining({ code: "SCHEDULER_TASK_INVALID" }),
    );
    await store.flush();
    expect(store.list()).toHaveLength(15);
    await store.close();
    real.close();
  });

  it("rejects duplicate ids across restarts and payloads it cannot keep, without queueing them", async () => {
    const first = await LibsqlTaskStore.open({ url });
    new Scheduler({ store: first }).submit({ id: "once" });
    await first.close();
    const second = await LibsqlTaskStore.open({ url });
    const scheduler = new Scheduler({ store: second });
    expect(() => scheduler.submit({ id: "once" })).toThrow(
      expect.objectContaining({ code: "SCHEDULER_TASK_DUPLICATE" }),
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => scheduler.submit({ id: "cyclic", payload: cyclic })).toThrow(
      expect.objectContaining({ code: "SCHEDULER_STORE_INVALID" }),
    );
    expect(scheduler.get("cyclic")).toBeUndefined();
    expect(scheduler.stats().submitted).toBe(0);
    await second.close();
  });

  it("drain leaves queued tasks queued on disk for the next process", async () => {
    const store = await LibsqlTaskStore.open({ url });
    const scheduler = new Scheduler({ store, maxConcurrent: 1 });
    scheduler.submit({ id: "running" });
    scheduler.submit({ id: "waiting" });
    scheduler.complete("running");
    scheduler.submit({ id: "later" });
    const report = await scheduler.drain({ timeoutMs: 0 });
    expect(report.released).toEqual(["later"]);
    expect(store.list().map((task) => [task.id, task.status])).toEqual([
      ["running", "completed"],
      ["waiting", "running"],
      ["later", "queued"],
    ]);
    await store.close();
  });

  it("refuses ws:// URLs with the database's one code", async () => {
    const attempt = LibsqlTaskStore.open({ url: "ws://127.0.0.1:8080" });
    await expect(attempt).rejects.toBeInstanceOf(KernelError);
    await expect(attempt).rejects.toMatchObject({ code: "DATABASE_REMOTE_UNSUPPORTED" });
  });

  it("over a shared database it records its schema version and leaves the database open on close", async () => {
    const database = await openDatabase({ url });
    const store = await LibsqlTaskStore.open({ database });
    const scheduler = new Scheduler({ store, maxConcurrent: 1 });
    scheduler.submit({ id: "running" });
    scheduler.submit({ id: "waiting" });
    await scheduler.drain({ timeoutMs: 0 });
    await store.close();
    expect(database.isOpen).toBe(true);
    expect(database.all("SELECT id, status FROM scheduler_tasks ORDER BY seq")).toEqual([
      { id: "running", status: "running" },
      { id: "waiting", status: "queued" },
    ]);
    expect(database.all("SELECT prefix, version FROM database_migrations")).toEqual([
      { prefix: "scheduler_", version: 1 },
      { prefix: "scheduler_", version: 2 },
      { prefix: "scheduler_", version: 3 },
      { prefix: "scheduler_", version: 4 },
      { prefix: "scheduler_", version: 5 },
    ]);
    database.close();
  });

  it("an idempotency key stays taken across a restart for the window, then frees", async () => {
    const clock = new ManualClock();
    const first = await LibsqlTaskStore.open({ url });
    const before = new Scheduler({ clock, store: first, retainFinished: 0 });
    before.submit({ id: "original", idempotencyKey: "order-42" });
    before.complete("original");
    expect(() => before.submit({ id: "again", idempotencyKey: "order-42" })).toThrow(
      expect.objectContaining({
        code: "SCHEDULER_IDEMPOTENCY_KEY_DUPLICATE",
        details: expect.objectContaining({ taskId: "original" }),
      }),
    );
    await first.close();

    const second = await LibsqlTaskStore.open({ url });
    const after = new Scheduler({ clock, store: second, idempotencyWindowMs: 1_000 });
    expect(after.findByIdempotencyKey("order-42")).toMatchObject({ id: "original", status: "completed" });
    expect(after.find("original")).toMatchObject({ id: "original", status: "completed" });
    expect(after.find("never")).toBeUndefined();
    expect(() => after.submit({ idempotencyKey: "order-42" })).toThrow(
      expect.objectContaining({ code: "SCHEDULER_IDEMPOTENCY_KEY_DUPLICATE" }),
    );
    clock.advance(1_001);
    expect(after.findByIdempotencyKey("order-42")).toBeUndefined();
    expect(after.submit({ id: "later", idempotencyKey: "order-42" }).id).toBe("later");
    await second.close();
  });

  it("takes over a dead owner's running task when its lease expires, while it runs", async () => {
    const clock = new ManualClock();
    const deadStore = await LibsqlTaskStore.open({ url });
    const dead = new Scheduler({ clock, store: deadStore, zombieAfterMs: 10_000, ownerId: "dead" });
    dead.submit({ id: "orphan", payload: { n: 1 } });
    await deadStore.close(); // the owner dies holding the lease

    const liveStore = await LibsqlTaskStore.open({ url });
    const live = new Scheduler({ clock, store: liveStore, ownerId: "live" });
    const ran: TaskRecord[] = [];
    const report = await live.recover(async (task) => {
      ran.push(task);
    });
    expect(report.requeued).toEqual([]);
    expect(report.nextLeaseExpiryAt).toBe(clock.now() + 10_000);
    await clock.advanceAsync(9_999);
    expect(ran).toEqual([]);
    await clock.advanceAsync(1);
    await vi.waitFor(() => expect(liveStore.list()).toMatchObject([{ id: "orphan", status: "completed" }]), {
      timeout: 15_000,
    });
    expect(ran).toMatchObject([{ id: "orphan", attempts: 2, payload: { n: 1 } }]);
    await live.drain({ timeoutMs: 0 });
    await liveStore.close();
  });

  it("takeOverRunning takes every other owner's running task at once", async () => {
    const clock = new ManualClock();
    const deadStore = await LibsqlTaskStore.open({ url });
    const dead = new Scheduler({ clock, store: deadStore, ownerId: "dead" });
    dead.submit({ id: "mid-run" });
    await deadStore.close();
    const store = await LibsqlTaskStore.open({ url });
    const scheduler = new Scheduler({ clock, store, ownerId: "heir" });
    const report = await scheduler.recover(async () => "resumed", { takeOverRunning: true });
    expect(report.retried).toEqual(["mid-run"]);
    await Promise.all(report.requeued.map((handle) => handle.settled));
    expect(store.list()).toMatchObject([{ id: "mid-run", status: "completed", attempts: 2 }]);
    await store.close();
  });

  it("prunes finished tasks by age and count, never a queued or running one", async () => {
    const clock = new ManualClock();
    const store = await LibsqlTaskStore.open({ url });
    const scheduler = new Scheduler({ clock, store, maxConcurrent: 1, ratePerMinute: Number.POSITIVE_INFINITY });
    for (const id of ["a", "b", "c", "d"]) {
      scheduler.submit({ id });
      scheduler.complete(id);
      clock.advance(1_000);
    }
    scheduler.submit({ id: "running" });
    scheduler.submit({ id: "queued" });
    await store.flush();
    // "a" finished at 0, "b" at 1000: older than 1500 → gone; of the rest keep the newest one.
    expect(store.prune({ finishedBefore: 1_500, keep: 1 })).toBe(3);
    expect(store.list().map((task) => [task.id, task.status])).toEqual([
      ["d", "completed"],
      ["running", "running"],
      ["queued", "queued"],
    ]);
    await scheduler.drain({ timeoutMs: 0 });
    await store.close();
  });
});

describe("a write the database could not take", () => {
  /** A real file database that says whether it is served, and fails writes with `code` while `busy` is set. */
  async function databaseThat(served: boolean, code: string = DatabaseErrorCode.busy) {
    const real = await openDatabase({ url });
    const state = { busy: false };
    const database = new Proxy(real, {
      get(target, property) {
        if (property === "served") return served;
        if ((property === "transaction" || property === "batch") && state.busy) {
          return () => {
            throw new KernelError(code, "database: the write failed");
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { database, real, state };
  }

  const queued = (id: string) => ({
    kind: "queued" as const,
    task: {
      id,
      priority: "normal" as const,
      rateKey: "default",
      createdAt: 1,
      enqueuedAt: 1,
      status: "queued" as const,
      attempts: 0,
    },
  });

  it("on a served database a busy write is lost and counted, and the store goes on", async () => {
    const { database, real, state } = await databaseThat(true);
    const store = await LibsqlTaskStore.open({ database, groupCommit: true });
    state.busy = true;
    store.write(queued("lost"));
    await expect(store.flush()).rejects.toMatchObject({ code: "DATABASE_BUSY" });
    await settle();
    expect(store.lostWrites).toBe(1);
    state.busy = false;
    store.write(queued("kept"));
    await store.flush();
    expect(store.get("kept")?.id).toBe("kept");
    expect(store.get("lost")).toBeUndefined();
    await store.close();
    real.close();
  });

  it("on a file any other failed write (DATABASE_IO_FAILED) stays the store's failure", async () => {
    const { database, real, state } = await databaseThat(false, DatabaseErrorCode.ioFailed);
    const store = await LibsqlTaskStore.open({ database, groupCommit: true });
    state.busy = true;
    store.write(queued("lost"));
    await expect(store.flush()).rejects.toMatchObject({ code: "SCHEDULER_STORE_FAILED" });
    state.busy = false;
    await settle();
    expect(() => store.write(queued("refused"))).toThrow(expect.objectContaining({ code: "SCHEDULER_STORE_FAILED" }));
    expect(store.lostWrites).toBe(0);
    await store.close().catch((error: unknown) => {
      if (!KernelError.hasCode(error, "SCHEDULER_STORE_FAILED")) throw error;
    });
    real.close();
  });
});
