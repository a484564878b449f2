/**
 * One cluster node against a real libsql file standing in for the shared database (the
 * statements are the same on sqld), on a ManualClock: a local run starts only once `admitBatch`
 * granted it under the global cap (other nodes' leases count); a run another node took over is
 * stopped at the next heartbeat (interrupted: no end recorded), and every run stops by itself
 * when heartbeats fail until a third of its lease is left — or, after its loop stalled that long,
 * at the run's own heartbeat before it acts; a task of a dead node is adopted and continued through
 * `resume`; one out of attempts is concluded instead; a profile's cap counts the other nodes'
 * runs and the provider's rate bucket is the database's; after the database was out of reach, a
 * run that stopped without an end is handed back and continued, one the journal ended is
 * finished as it ended, and a run queued here that another node took meanwhile is given up; a
 * run of a batch that could not be taken is handed on at the next heartbeat while the batch's
 * others run.
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Clock, KernelError, silentLogger } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { type Database, DatabaseErrorCode, openDatabase } from "@oxios/database";
import { EventBus } from "@oxios/event-bus";
import { type Lease, Scheduler, SchedulerErrorCode } from "@oxios/scheduler";
import { type AdmitNextOptions, finishAdmitted, heartbeatNode, LibsqlTaskStore } from "@oxios/scheduler/libsql";
import { afterEach, describe, expect, it } from "vitest";
import { ClusterNode } from "./cluster.ts";

const LEASE_MS = 3_000;

interface Node {
  database: Database;
  clock: ManualClock;
  scheduler: Scheduler;
  node: ClusterNode;
  store: LibsqlTaskStore;
  resumed: Lease[];
  concluded: string[];
}

const open: Node[] = [];

afterEach(async () => {
  for (const { node, scheduler, store, database } of open.splice(0)) {
    await node.leave();
    await scheduler.drain({ timeoutMs: 0 });
    await store.close();
    database.close();
  }
});

/** The database as the node sees it: every call fails with DATABASE_UNAVAILABLE while `down` is set. */
function unreliable(database: Database): { database: Database; setDown: (down: boolean) => void } {
  let down = false;
  const proxy = new Proxy(database, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (down) throw new KernelError(DatabaseErrorCode.unavailable, "the server cannot be reached");
        return value.apply(target, args);
      };
    },
  });
  return { database: proxy, setDown: (value) => (down = value) };
}

async function startNode(options: {
  maxConcurrent: number;
  maxAttempts?: number;
  /** The database the node's own statements (admission, heartbeat, repair) go through. */
  view?: (database: Database) => Database;
  /** How the journal has runs ended. */
  ends?: Map<string, "completed" | "failed" | "cancelled">;
  limits?: Pick<AdmitNextOptions, "profileCaps" | "ratePerMinute">;
  /** The scheduler's local admission hook (the kernel's token budgets). */
  canAdmit?: () => boolean;
  /** The clock the node reads (default: the test's ManualClock itself). */
  clock?: (manual: ManualClock) => Clock;
}): Promise<Node> {
  const clock = new ManualClock();
  const nodeClock = options.clock?.(clock) ?? clock;
  const database = await openDatabase({ url: `file:${join(mkdtempSync(join(tmpdir(), "oxios-cluster-")), "db")}` });
  const store = await LibsqlTaskStore.open({ database, cluster: { node: "a", leaseMs: LEASE_MS } });
  const bus = new EventBus({ logger: silentLogger, now: () => clock.now() });
  let nodeRef: ClusterNode | undefined;
  const scheduler = new Scheduler({
    clock,
    events: bus,
    store,
    ownerId: "a",
    maxConcurrent: options.maxConcurrent,
    ratePerMinute: Number.POSITIVE_INFINITY,
    waitForGrant: true,
    ...(options.canAdmit === undefined ? {} : { canAdmit: options.canAdmit }),
    leaseHeld: (taskId) => nodeRef?.holdsLeases(taskId) === true,
  });
  const resumed: Lease[] = [];
  const concluded: string[] = [];
  const node = new ClusterNode({
    id: "a",
    url: "http://a",
    database: options.view?.(database) ?? database,
    taskStore: store,
    scheduler,
    bus,
    clock: nodeClock,
    logger: silentLogger,
    maxConcurrent: options.maxConcurrent,
    limits: () => options.limits ?? {},
    leaseMs: LEASE_MS,
    maxAttempts: options.maxAttempts ?? 3,
    resume: async (lease) => {
      resumed.push(lease);
      return "resumed";
    },
    conclude: async (taskId) => {
      concluded.push(taskId);
    },
    journalledEnd: async (taskId) => options.ends?.get(taskId),
  });
  nodeRef = node;
  const started = { database, clock, scheduler, node, store, resumed, concluded };
  open.push(started);
  return started;
}

/** A task another node holds under a live lease, as its admission would have written it. */
function foreignRunning(database: Database, id: string, node: string, expiresAt: number, profile?: string): void {
  database.run(
    `INSERT INTO scheduler_tasks (id, priority, rate_key, profile, created_at, enqueued_at, status, attempts,
       lease_owner, lease_expires_at)
     VALUES (?, 'normal', 'default', ?, 0, 0, 'running', 1, ?, ?)`,
    [id, profile ?? null, node, expiresAt],
  );
}

/** A run's work that ends only when its signal aborts, rejecting with the abort's reason. */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((_resolve, reject) =>
    signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
  );
}

/** How a run ended: undefined when it completed, its error when it failed. */
function outcomeOf(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** `manual`, read as if the node's loop had been blocked for `stalledMs()` more. */
function stalling(manual: ManualClock, stalledMs: () => number): Clock {
  return {
    now: () => manual.now() + stalledMs(),
    setTimer: (callback, ms) => manual.setTimer(callback, ms),
    sleep: (ms, signal) => manual.sleep(ms, signal),
  };
}

function statusOf(database: Database, id: string) {
  return database.get<{ status: string; attempts: number; lease_owner: string | null }>(
    "SELECT status, attempts, lease_owner FROM scheduler_tasks WHERE id = ?",
    [id],
  );
}

describe("ClusterNode", () => {
  it("starts a local run only once the cluster granted it, counting other nodes' leases against the cap", async () => {
    const { database, clock, scheduler, node } = await startNode({ maxConcurrent: 2 });
    heartbeatNode(database, { id: "b", url: "http://b" }, clock.now(), LEASE_MS);
    foreignRunning(database, "of-b", "b", clock.now() + LEASE_MS);
    node.start();
    const finish = new Map<string, () => void>();
    const runs = ["t1", "t2"].map((id) =>
      scheduler.run({ id }, () => new Promise<void>((resolve) => finish.set(id, resolve))),
    );
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    // One slot of two is b's: t1 runs, t2 waits although this node has room.
    expect(scheduler.get("t1")?.status).toBe("running");
    expect(scheduler.get("t2")?.status).toBe("queued");
    expect(statusOf(database, "t1")).toEqual({ status: "running", attempts: 1, lease_owner: "a" });

    expect(finishAdmitted(database, "of-b", "b", "completed", clock.now())).toBe(true);
    await clock.advanceAsync(250);
    expect(scheduler.get("t2")?.status).toBe("running");
    finish.get("t1")?.();
    finish.get("t2")?.();
    await Promise.all(runs);
    await scheduler.drain({ timeoutMs: 0 });
    expect(statusOf(database, "t2")).toEqual({ status: "completed", attempts: 1, lease_owner: null });
  });

  it("counts other nodes' runs against a profile's cap and draws from the database's rate bucket", async () => {
    const { database, clock, scheduler, node } = await startNode({
      maxConcurrent: 5,
      limits: { profileCaps: { capped: 1 }, ratePerMinute: 2 },
    });
    heartbeatNode(database, { id: "b", url: "http://b" }, clock.now(), LEASE_MS);
    foreignRunning(database, "of-b", "b", clock.now() + LEASE_MS, "capped");
    node.start();
    const finish = new Map<string, () => void>();
    const runs = [{ id: "c1", profile: "capped" }, { id: "o1", profile: "other" }, { id: "o2" }, { id: "o3" }].map(
      (spec) => scheduler.run(spec, () => new Promise<void>((resolve) => finish.set(spec.id, resolve))),
    );
    const statuses = () => ["c1", "o1", "o2", "o3"].map((id) => scheduler.get(id)?.status);
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    // b's run holds the capped profile's one slot; the bucket's two tokens go to the others.
    expect(statuses()).toEqual(["queued", "running", "running", "queued"]);
    expect(finishAdmitted(database, "of-b", "b", "completed", clock.now())).toBe(true);
    await clock.advanceAsync(250);
    expect(statuses()).toEqual(["queued", "running", "running", "queued"]);
    // 2/min: the next token 30 s after the first two; c1 is older than o3.
    await clock.advanceAsync(30_000);
    expect(statuses()).toEqual(["running", "running", "running", "queued"]);
    for (const resolve of finish.values()) resolve();
    await Promise.all(runs.slice(0, 3));
    await scheduler.drain({ timeoutMs: 0 });
    await Promise.allSettled(runs);
  });

  it("stops a run at the next heartbeat once another node holds its lease", async () => {
    const { database, clock, scheduler, node } = await startNode({ maxConcurrent: 2 });
    node.start();
    let signal: AbortSignal | undefined;
    const outcome = outcomeOf(
      scheduler.run({ id: "t1" }, (taskSignal) => {
        signal = taskSignal;
        return untilAborted(taskSignal);
      }),
    );
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    expect(scheduler.get("t1")?.status).toBe("running");
    // This node stalled past its lease; node b reclaimed the run and admitted it.
    database.run("UPDATE scheduler_tasks SET lease_owner = 'b', attempts = 2 WHERE id = 't1'");
    await clock.advanceAsync(LEASE_MS / 3);
    expect(signal?.aborted).toBe(true);
    // Interrupted, not failed: no end is recorded for a run that goes on elsewhere.
    expect(await outcome).toMatchObject({ code: "SCHEDULER_TASK_INTERRUPTED" });
    await scheduler.drain({ timeoutMs: 0 });
    // Its end here does not touch b's hold on the run.
    expect(statusOf(database, "t1")).toEqual({ status: "running", attempts: 2, lease_owner: "b" });
  });

  it("records no end for a run it stops once its lease was reclaimed: the task stays queued, not failed", async () => {
    const { database, clock, scheduler, node } = await startNode({ maxConcurrent: 1 });
    node.start();
    const outcome = outcomeOf(scheduler.run({ id: "t1" }, untilAborted));
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    // This node stalled past its lease; another node's heartbeat reclaimed it, and node b's run
    // fills the cluster's one slot (so nobody takes it again before the heartbeat).
    database.run("UPDATE scheduler_tasks SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL");
    foreignRunning(database, "of-b", "b", clock.now() + 10 * LEASE_MS);
    await clock.advanceAsync(LEASE_MS / 3);
    expect(await outcome).toMatchObject({ code: "SCHEDULER_TASK_INTERRUPTED" });
    await scheduler.drain({ timeoutMs: 0 });
    expect(statusOf(database, "t1")).toEqual({ status: "queued", attempts: 1, lease_owner: null });
  });

  it("stops its runs itself when heartbeats fail until a third of the lease is left, and continues them once the database is back", async () => {
    let setDown: (down: boolean) => void = () => undefined;
    const { database, clock, scheduler, node, resumed } = await startNode({
      maxConcurrent: 2,
      view: (real) => {
        const view = unreliable(real);
        setDown = view.setDown;
        return view.database;
      },
    });
    node.start();
    let signal: AbortSignal | undefined;
    const outcome = outcomeOf(
      scheduler.run({ id: "t1" }, (taskSignal) => {
        signal = taskSignal;
        return untilAborted(taskSignal);
      }),
    );
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    expect(scheduler.get("t1")?.status).toBe("running");

    setDown(true);
    // One failed heartbeat: the lease has two thirds left, the run goes on.
    await clock.advanceAsync(LEASE_MS / 3);
    expect(signal?.aborted).toBe(false);
    // A third left and still no heartbeat through: the run stops here, before its lease lapses.
    await clock.advanceAsync(LEASE_MS / 3);
    expect(signal?.aborted).toBe(true);
    expect(await outcome).toMatchObject({ code: "SCHEDULER_TASK_INTERRUPTED" });
    // Nothing recorded an end: the database still has it running under this node's lease.
    expect(statusOf(database, "t1")).toEqual({ status: "running", attempts: 1, lease_owner: "a" });

    // Back after the lease lapsed: the first heartbeat reclaims nothing (the other nodes were cut
    // off too); the next reclaims the lease, admission takes it, it continues from its journal.
    await clock.advanceAsync(LEASE_MS);
    setDown(false);
    await clock.advanceAsync(LEASE_MS / 3);
    expect(statusOf(database, "t1")).toEqual({ status: "running", attempts: 1, lease_owner: "a" });
    await clock.advanceAsync(LEASE_MS / 3);
    await clock.advanceAsync(250);
    await clock.advanceAsync(0);
    expect(resumed.map((lease) => [lease.taskId, lease.attempt])).toEqual([["t1", 2]]);
    expect(statusOf(database, "t1")).toEqual({ status: "completed", attempts: 2, lease_owner: null });
  });

  it("gives up a run granted but not started when it stops its runs, and continues it from the journal once the database is back", async () => {
    let setDown: (down: boolean) => void = () => undefined;
    let budgetOpen = false;
    const { database, clock, scheduler, node, resumed } = await startNode({
      maxConcurrent: 2,
      canAdmit: () => budgetOpen,
      view: (real) => {
        const view = unreliable(real);
        setDown = view.setDown;
        return view.database;
      },
    });
    node.start();
    const outcome = outcomeOf(scheduler.run({ id: "t1" }, async () => "done"));
    await clock.advanceAsync(0);
    // Granted (leased to this node), held back here by the local budget.
    expect(statusOf(database, "t1")).toEqual({ status: "running", attempts: 1, lease_owner: "a" });
    expect(scheduler.get("t1")?.status).toBe("queued");

    // Heartbeats fail until a third of the lease is left: the node stops its runs, and gives up
    // the granted one it had not started (interrupted: no end recorded).
    setDown(true);
    await clock.advanceAsync(LEASE_MS / 3);
    await clock.advanceAsync(LEASE_MS / 3);
    expect(scheduler.queued()).toEqual([]);
    expect(await outcome).toMatchObject({ code: "SCHEDULER_TASK_INTERRUPTED" });
    expect(statusOf(database, "t1")).toEqual({ status: "running", attempts: 1, lease_owner: "a" });

    // Back after the lease lapsed: reclaimed at the next heartbeat, admitted again, continued from its journal.
    budgetOpen = true;
    setDown(false);
    await clock.advanceAsync(LEASE_MS / 3);
    await clock.advanceAsync(LEASE_MS / 3);
    await clock.advanceAsync(250);
    await clock.advanceAsync(0);
    expect(resumed.map((lease) => [lease.taskId, lease.attempt])).toEqual([["t1", 2]]);
    expect(statusOf(database, "t1")).toEqual({ status: "completed", attempts: 2, lease_owner: null });
  });

  it("after its loop stalled past its lease, stops its runs and reclaims nothing until the next heartbeat", async () => {
    // The node's clock jumps as if its loop had been blocked (a frozen sqld blocks every node's).
    let stalledMs = 0;
    const { database, clock, scheduler, node, resumed } = await startNode({
      maxConcurrent: 2,
      clock: (manual) => stalling(manual, () => stalledMs),
    });
    node.start();
    const outcome = outcomeOf(scheduler.run({ id: "t1" }, untilAborted));
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    // Node b stalled the same way: its lease lapsed too, and it has not heartbeaten since.
    heartbeatNode(database, { id: "b", url: "http://b" }, clock.now(), LEASE_MS);
    foreignRunning(database, "of-b", "b", clock.now() + LEASE_MS);
    stalledMs = 2 * LEASE_MS;
    await clock.advanceAsync(LEASE_MS / 3);
    // Its own lease is gone: its run stops; b's run is not taken before b's heartbeat could tell it.
    expect(await outcome).toMatchObject({ code: "SCHEDULER_TASK_INTERRUPTED" });
    expect(statusOf(database, "of-b")).toEqual({ status: "running", attempts: 1, lease_owner: "b" });
    expect(statusOf(database, "t1")).toEqual({ status: "running", attempts: 1, lease_owner: "a" });
    // The next heartbeat reclaims both; admission continues them from the journal.
    await clock.advanceAsync(LEASE_MS / 3);
    await clock.advanceAsync(250);
    await clock.advanceAsync(0);
    expect(resumed.map((lease) => lease.taskId).sort()).toEqual(["of-b", "t1"]);
  });

  it("stops a run that heartbeats before acting once its loop stalled past the fence, before any heartbeat ran", async () => {
    let stalledMs = 0;
    const { database, clock, scheduler, node, resumed } = await startNode({
      maxConcurrent: 1,
      clock: (manual) => stalling(manual, () => stalledMs),
    });
    node.start();
    let beforeActing: (() => boolean) | undefined;
    const outcome = outcomeOf(
      scheduler.run({ id: "t1" }, (signal, lease) => {
        beforeActing = () => lease.heartbeat();
        return untilAborted(signal);
      }),
    );
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    await clock.advanceAsync(100);
    // More than a third of the lease is left: another node cannot have taken the run.
    stalledMs = LEASE_MS / 3;
    expect(beforeActing?.()).toBe(true);
    // The loop was blocked until only a third is left; no timer of the node has run since.
    stalledMs = (2 * LEASE_MS) / 3 - 100;
    const timersBefore = clock.pendingTimers;
    expect(beforeActing?.()).toBe(false);
    expect(clock.pendingTimers).toBe(timersBefore);
    // Interrupted, not failed: no end recorded.
    expect(await outcome).toMatchObject({ code: "SCHEDULER_TASK_INTERRUPTED" });
    expect(statusOf(database, "t1")).toEqual({ status: "running", attempts: 1, lease_owner: "a" });
    // The heartbeat comes before the lease lapsed: it renews the node's leases and hands the
    // stopped run on; admission continues it from the journal (here: the only node).
    await clock.advanceAsync(LEASE_MS / 3 - 100);
    await clock.advanceAsync(250);
    await clock.advanceAsync(0);
    expect(resumed.map((lease) => [lease.taskId, lease.attempt])).toEqual([["t1", 2]]);
    expect(statusOf(database, "t1")).toEqual({ status: "completed", attempts: 2, lease_owner: null });
  });

  it("after its loop stalled past its lease, gives up a run queued here that another node took meanwhile", async () => {
    let stalledMs = 0;
    const { database, clock, scheduler, node } = await startNode({
      maxConcurrent: 1,
      clock: (manual) => stalling(manual, () => stalledMs),
    });
    node.start();
    const runs = ["t1", "t2"].map((id) => outcomeOf(scheduler.run({ id }, untilAborted)));
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    expect(scheduler.get("t2")?.status).toBe("queued");
    // The loop stalls past the lease (no error anywhere); node b takes t2 meanwhile.
    stalledMs = 2 * LEASE_MS;
    database.run(
      "UPDATE scheduler_tasks SET status = 'running', attempts = 1, lease_owner = 'b', lease_expires_at = ? WHERE id = 't2'",
      [clock.now() + stalledMs + LEASE_MS],
    );
    await clock.advanceAsync(LEASE_MS / 3);
    expect(await runs[1]).toMatchObject({ code: "SCHEDULER_TASK_INTERRUPTED" });
    expect(scheduler.queued()).toEqual([]);
    expect(statusOf(database, "t2")).toEqual({ status: "running", attempts: 1, lease_owner: "b" });
    await scheduler.drain({ timeoutMs: 0 });
    await Promise.all(runs);
  });

  it("gives up a run queued here that another node took while this node's registration had lapsed", async () => {
    let setDown: (down: boolean) => void = () => undefined;
    const { database, clock, scheduler, node } = await startNode({
      maxConcurrent: 1,
      view: (real) => {
        const view = unreliable(real);
        setDown = view.setDown;
        return view.database;
      },
    });
    node.start();
    const runs = ["t1", "t2"].map((id) => outcomeOf(scheduler.run({ id }, untilAborted)));
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    expect(scheduler.get("t2")?.status).toBe("queued");

    setDown(true);
    await clock.advanceAsync(LEASE_MS * 2);
    // Meanwhile node b took t2 (this node's registration had lapsed), and runs it.
    database.run(
      "UPDATE scheduler_tasks SET status = 'running', attempts = 1, lease_owner = 'b', lease_expires_at = ? WHERE id = 't2'",
      [clock.now() + LEASE_MS],
    );
    setDown(false);
    await clock.advanceAsync(LEASE_MS / 3);
    // Given up here (its admission rejected, nothing stored): it runs once, on b.
    expect(await runs[1]).toMatchObject({ code: "SCHEDULER_TASK_INTERRUPTED" });
    expect(scheduler.queued()).toEqual([]);
    expect(statusOf(database, "t2")).toEqual({ status: "running", attempts: 1, lease_owner: "b" });
    await scheduler.drain({ timeoutMs: 0 });
    await Promise.all(runs);
  });

  it("adopts a dead node's queued run through resume, and concludes one that used up its attempts", async () => {
    const { database, clock, scheduler, node, resumed, concluded } = await startNode({
      maxConcurrent: 2,
      maxAttempts: 2,
    });
    // Node "dead" has no live registration: its queued tasks are anyone's.
    database.run(
      `INSERT INTO scheduler_tasks (id, priority, rate_key, created_at, enqueued_at, status, attempts, lease_owner)
       VALUES ('orphan', 'normal', 'default', 0, 0, 'queued', 1, 'dead'),
              ('worn-out', 'normal', 'default', 0, 1, 'queued', 2, 'dead')`,
    );
    node.start();
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    await scheduler.drain({ timeoutMs: 0 });
    expect(resumed.map((lease) => [lease.taskId, lease.attempt])).toEqual([["orphan", 2]]);
    expect(statusOf(database, "orphan")).toEqual({ status: "completed", attempts: 2, lease_owner: null });
    expect(concluded).toEqual(["worn-out"]);
    await node.leave();
    expect(statusOf(database, "worn-out")).toMatchObject({ status: "failed", attempts: 3 });
  });

  it("takes the rest of a batch when taking one of its runs fails, and hands that one on at the next heartbeat", async () => {
    const { database, clock, scheduler, node, store, resumed } = await startNode({ maxConcurrent: 2 });
    database.run(
      `INSERT INTO scheduler_tasks (id, priority, rate_key, created_at, enqueued_at, status, attempts, lease_owner)
       VALUES ('first', 'normal', 'default', 0, 0, 'queued', 1, 'dead'),
              ('second', 'normal', 'default', 0, 1, 'queued', 1, 'dead')`,
    );
    // Reading the first adopted task back fails once.
    const read = store.get.bind(store);
    let failures = 1;
    store.get = (id) => {
      if (id === "first" && failures-- > 0) throw new KernelError(DatabaseErrorCode.failed, "database: a read failed");
      return read(id);
    };
    node.start();
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    expect(resumed.map((lease) => lease.taskId)).toEqual(["second"]);
    expect(statusOf(database, "first")).toMatchObject({ status: "running", lease_owner: "a" });
    // The heartbeat finds it held but not run here, hands it back, and admission takes it again.
    await clock.advanceAsync(LEASE_MS / 3);
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    await scheduler.drain({ timeoutMs: 0 });
    expect(resumed.map((lease) => lease.taskId)).toEqual(["second", "first"]);
    expect(statusOf(database, "first")).toMatchObject({ status: "completed" });
  });

  it("ends a dead node's task as its journal ended the run, instead of resuming a finished run", async () => {
    const ends = new Map<string, "completed" | "failed" | "cancelled">([
      ["ended", "completed"],
      ["worn-out-but-ended", "completed"],
    ]);
    const { database, clock, scheduler, node, resumed, concluded } = await startNode({
      maxConcurrent: 2,
      maxAttempts: 2,
      ends,
    });
    // The dead node journalled these runs' ends, then died before storing their tasks' finish.
    database.run(
      `INSERT INTO scheduler_tasks (id, priority, rate_key, created_at, enqueued_at, status, attempts, lease_owner)
       VALUES ('ended', 'normal', 'default', 0, 0, 'queued', 1, 'dead'),
              ('worn-out-but-ended', 'normal', 'default', 0, 1, 'queued', 2, 'dead')`,
    );
    node.start();
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    await scheduler.drain({ timeoutMs: 0 });
    await node.leave();
    expect(resumed).toEqual([]);
    expect(concluded).toEqual([]);
    expect(statusOf(database, "ended")).toMatchObject({ status: "completed", lease_owner: null });
    expect(statusOf(database, "worn-out-but-ended")).toMatchObject({ status: "completed", lease_owner: null });
  });

  it("hands back every run it holds when it leaves", async () => {
    const { database, clock, scheduler, node } = await startNode({ maxConcurrent: 1 });
    node.start();
    const runs = ["t1", "t2"].map((id) => scheduler.run({ id }, untilAborted));
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    node.stopAdmitting();
    await scheduler.drain({ timeoutMs: 0 });
    await Promise.allSettled(runs);
    await node.leave();
    expect(statusOf(database, "t1")).toEqual({ status: "queued", attempts: 1, lease_owner: null });
    expect(statusOf(database, "t2")).toEqual({ status: "queued", attempts: 0, lease_owner: null });
  });
  it("after the database was out of reach, hands back a run that stopped without an end and finishes one the journal ended", async () => {
    let setDown: (down: boolean) => void = () => undefined;
    const ends = new Map<string, "completed">([["ended", "completed"]]);
    const { database, clock, scheduler, node, resumed } = await startNode({
      maxConcurrent: 2,
      ends,
      view: (real) => {
        const view = unreliable(real);
        setDown = view.setDown;
        return view.database;
      },
    });
    node.start();
    // Both runs stop at a journal write that cannot reach the database: no end is stored for them.
    const interrupted = () =>
      Promise.reject(new KernelError(SchedulerErrorCode.taskInterrupted, "the run journal cannot be reached"));
    const runs = ["stopped", "ended"].map((id) => scheduler.run({ id }, interrupted).catch((error: unknown) => error));
    await clock.advanceAsync(0);
    await clock.advanceAsync(0);
    await Promise.all(runs);
    expect(statusOf(database, "stopped")).toEqual({ status: "running", attempts: 1, lease_owner: "a" });
    expect(statusOf(database, "ended")).toEqual({ status: "running", attempts: 1, lease_owner: "a" });

    // A heartbeat fails while the server is away; the next one, with the server back, repairs.
    setDown(true);
    await clock.advanceAsync(LEASE_MS / 3);
    expect(resumed).toEqual([]);
    setDown(false);
    await clock.advanceAsync(LEASE_MS / 3);
    await clock.advanceAsync(250);
    await clock.advanceAsync(0);
    expect(statusOf(database, "ended")?.status).toBe("completed");
    // Handed back to the queue, taken again (here), continued from the journal in a new lease.
    expect(resumed.map((lease) => [lease.taskId, lease.attempt])).toEqual([["stopped", 2]]);
    expect(statusOf(database, "stopped")).toEqual({ status: "completed", attempts: 2, lease_owner: null });
  });
});
