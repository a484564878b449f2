/**
 * Cluster admission: the semantics of `admitNext` and its lease statements on a file, and the
 * global cap under contention — four node processes against one real sqld (started on
 * 127.0.0.1 by `@oxios/tooling/sqld`), each holding up to two tasks, cap three. A trigger
 * records, inside each admitting statement's own write, how many tasks were running right
 * after it: that number never exceeds the cap, and every task is admitted exactly once.
 */

import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ManualClock } from "@oxios/core/testing";
import { type Database, openDatabase } from "@oxios/database";
import { startSqld } from "@oxios/tooling/sqld";
import { afterEach, describe, expect, it } from "vitest";
import {
  admitBatch,
  admitNext,
  finishAdmitted,
  heartbeatNode,
  listNodes,
  reclaimExpired,
  releaseNode,
  renewLease,
} from "./cluster-admission.ts";
import { LibsqlTaskStore } from "./libsql-task-store.ts";

const WORKER = fileURLToPath(new URL("../../__fixtures__/admission-worker.ts", import.meta.url));
const RATE_WORKER = fileURLToPath(new URL("../../__fixtures__/rate-worker.ts", import.meta.url));
const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

interface QueuedRow {
  id: string;
  priority?: string;
  enqueuedAt?: number;
  profile?: string;
  rateKey?: string;
}

/** A database with the queue's schema (migrated by the store) and these queued tasks. */
async function queueWith(url: string, tasks: QueuedRow[]) {
  const store = await LibsqlTaskStore.open({ url });
  await store.close();
  const database = await openDatabase({ url });
  enqueue(database, tasks);
  return database;
}

function enqueue(database: Database, tasks: QueuedRow[]): void {
  database.transaction(() => {
    for (const task of tasks) {
      database.run(
        `INSERT INTO scheduler_tasks (id, priority, rate_key, profile, created_at, enqueued_at, status)
         VALUES (?, ?, ?, ?, ?, ?, 'queued')`,
        [
          task.id,
          task.priority ?? "normal",
          task.rateKey ?? "default",
          task.profile ?? null,
          task.enqueuedAt ?? 0,
          task.enqueuedAt ?? 0,
        ],
      );
    }
  });
}

function fileUrl(): string {
  const directory = mkdtempSync(join(tmpdir(), "oxios-admission-"));
  directories.push(directory);
  return `file:${join(directory, "queue.db")}`;
}

const running = (database: Database) =>
  database.get<{ n: number }>("SELECT count(*) AS n FROM scheduler_tasks WHERE status = 'running'")?.n;

describe("admitNext", () => {
  it("takes the oldest task of the highest priority, and nothing once the cap is reached", async () => {
    const database = await queueWith(fileUrl(), [
      { id: "low-old", priority: "low", enqueuedAt: 1 },
      { id: "normal-new", enqueuedAt: 5 },
      { id: "normal-old", enqueuedAt: 2 },
      { id: "critical", priority: "critical", enqueuedAt: 9 },
    ]);
    const take = () => admitNext(database, { node: "a", maxConcurrent: 3, now: 100, leaseMs: 50 })?.id;
    expect([take(), take(), take()]).toEqual(["critical", "normal-old", "normal-new"]);
    expect(take()).toBeUndefined();
    expect(running(database)).toBe(3);
    expect(finishAdmitted(database, "critical", "a", "completed", 110)).toBe(true);
    expect(take()).toBe("low-old");
    expect(take()).toBeUndefined();
    database.close();
  });

  it("ages: a task waiting agingMs longer counts one priority higher, as in the scheduler", async () => {
    const database = await queueWith(fileUrl(), [
      { id: "normal-new", enqueuedAt: 100_000 },
      { id: "low-oldest", priority: "low", enqueuedAt: 0 },
      { id: "high-new", priority: "high", enqueuedAt: 100_000 },
      { id: "low-old", priority: "low", enqueuedAt: 50_000 },
    ]);
    const take = (agingMs?: number) =>
      admitNext(database, { node: "a", maxConcurrent: 9, now: 200_000, leaseMs: 1e9, ...(agingMs && { agingMs }) })?.id;
    // Keys (enqueued + class × 60 s): high-new 160 s, low-oldest 180 s, normal-new 220 s, low-old 230 s.
    expect([take(), take(), take(), take()]).toEqual(["high-new", "low-oldest", "normal-new", "low-old"]);
    database.close();
    const plain = await queueWith(fileUrl(), [
      { id: "low-oldest", priority: "low", enqueuedAt: 0 },
      { id: "normal-new", enqueuedAt: 100_000 },
    ]);
    const takePlain = () =>
      admitNext(plain, { node: "a", maxConcurrent: 9, now: 200_000, leaseMs: 1e9, agingMs: Number.POSITIVE_INFINITY })
        ?.id;
    expect([takePlain(), takePlain()]).toEqual(["normal-new", "low-oldest"]);
    plain.close();
  });

  it("stops counting an expired lease, and reclaim puts its task back in the queue for another node", async () => {
    const database = await queueWith(fileUrl(), [{ id: "t1" }, { id: "t2" }]);
    expect(admitNext(database, { node: "dead", maxConcurrent: 1, now: 100, leaseMs: 50 })).toEqual({
      id: "t1",
      attempts: 1,
    });
    expect(admitNext(database, { node: "b", maxConcurrent: 1, now: 149, leaseMs: 50 })).toBeUndefined();
    expect(renewLease(database, "t1", "b", 149, 50)).toBe(false);
    // At 150 the dead node's lease has expired: it no longer counts against the cap.
    expect(admitNext(database, { node: "b", maxConcurrent: 1, now: 150, leaseMs: 50 })?.id).toBe("t2");
    expect(reclaimExpired(database, 150)).toBe(1);
    expect(finishAdmitted(database, "t1", "dead", "completed", 151)).toBe(false);
    expect(finishAdmitted(database, "t2", "b", "completed", 160)).toBe(true);
    expect(admitNext(database, { node: "b", maxConcurrent: 1, now: 160, leaseMs: 50 })).toEqual({
      id: "t1",
      attempts: 2,
    });
    expect(renewLease(database, "t1", "b", 200, 50)).toBe(true);
    database.close();
  });

  it("leaves a live node's queued tasks to it, and gives them to others once its registration expires", async () => {
    const url = fileUrl();
    const database = await queueWith(url, []);
    const store = await LibsqlTaskStore.open({ database, cluster: { node: "a", leaseMs: 50 } });
    store.write({
      kind: "queued",
      task: {
        id: "of-a",
        priority: "normal",
        rateKey: "default",
        createdAt: 1,
        enqueuedAt: 1,
        status: "queued",
        attempts: 0,
      },
    });
    await store.flush();
    heartbeatNode(database, { id: "a", url: "http://a" }, 100, 50);
    expect(admitNext(database, { node: "b", maxConcurrent: 5, now: 120, leaseMs: 50 })).toBeUndefined();
    // At 150 node a's registration has expired: its queued task is anyone's.
    expect(admitNext(database, { node: "b", maxConcurrent: 5, now: 150, leaseMs: 50 })?.id).toBe("of-a");
    await store.close();
    database.close();
  });

  it("a node's store writes nothing for a local admission: a late one takes no lease from the node that holds it now", async () => {
    const database = await queueWith(fileUrl(), [{ id: "t1" }]);
    const store = await LibsqlTaskStore.open({ database, cluster: { node: "a", leaseMs: 50 } });
    expect(admitNext(database, { node: "a", maxConcurrent: 5, now: 10, leaseMs: 50 })).toEqual({
      id: "t1",
      attempts: 1,
    });
    // Node a stalls past its lease; node b reclaims the task and takes it.
    expect(reclaimExpired(database, 70)).toBe(1);
    expect(admitNext(database, { node: "b", maxConcurrent: 5, now: 70, leaseMs: 50 })).toEqual({
      id: "t1",
      attempts: 2,
    });
    // Node a's scheduler, resuming, records the admission it made before the stall.
    store.write({ kind: "admitted", id: "t1", attempt: 1, owner: "a", at: 10, leaseExpiresAt: 60 });
    await store.flush();
    expect(
      database.get("SELECT status, attempts, lease_owner, lease_expires_at FROM scheduler_tasks WHERE id = 't1'"),
    ).toEqual({ status: "running", attempts: 2, lease_owner: "b", lease_expires_at: 120 });
    await store.close();
    database.close();
  });

  it("renews every live lease of a node in one heartbeat, reports the ones it lost, and releases them when it leaves", async () => {
    const database = await queueWith(fileUrl(), [{ id: "t1" }, { id: "t2" }, { id: "t3" }]);
    heartbeatNode(database, { id: "a", url: "http://a" }, 0, 50);
    admitNext(database, { node: "a", maxConcurrent: 5, now: 10, leaseMs: 50 });
    admitNext(database, { node: "a", maxConcurrent: 5, now: 10, leaseMs: 50 });
    expect(heartbeatNode(database, { id: "a", url: "http://a" }, 40, 50).sort()).toEqual(["t1", "t2"]);
    // Renewed to 90: still held at 80, where the original lease (60) would have expired.
    expect(reclaimExpired(database, 80)).toBe(0);
    expect(listNodes(database, 80)).toEqual([
      { id: "a", url: "http://a", startedAt: 0, heartbeatAt: 40, expiresAt: 90, running: 2 },
    ]);
    // Missed its heartbeat: the leases expire, another node reclaims; the next heartbeat says so.
    expect(reclaimExpired(database, 90)).toBe(2);
    expect(heartbeatNode(database, { id: "a", url: "http://a" }, 95, 50)).toEqual([]);
    admitNext(database, { node: "a", maxConcurrent: 5, now: 96, leaseMs: 50 });
    expect(releaseNode(database, "a", 97)).toBe(1);
    expect(running(database)).toBe(0);
    expect(listNodes(database, 97)[0]?.expiresAt).toBe(97);
    database.close();
  });
});

describe("admitNext with profile caps and rate buckets", () => {
  it("admits a profile's tasks only under its cap, and the tasks behind a capped one go first", async () => {
    const database = await queueWith(fileUrl(), [
      { id: "capped-1", profile: "capped", enqueuedAt: 1 },
      { id: "capped-2", profile: "capped", enqueuedAt: 2 },
      { id: "capped-3", profile: "capped", enqueuedAt: 3 },
      { id: "other-1", profile: "other", enqueuedAt: 4 },
      { id: "none-1", enqueuedAt: 5 },
    ]);
    const take = (now = 100) =>
      admitNext(database, { node: "a", maxConcurrent: 10, now, leaseMs: 50, profileCaps: { capped: 2, other: 1 } })?.id;
    expect([take(), take(), take(), take()]).toEqual(["capped-1", "capped-2", "other-1", "none-1"]);
    expect(take()).toBeUndefined();
    expect(finishAdmitted(database, "capped-2", "a", "completed", 110)).toBe(true);
    expect(take(110)).toBe("capped-3");
    // Live leases count; at 150 the leases taken at 100 expired and count no more.
    enqueue(database, [{ id: "other-2", profile: "other", enqueuedAt: 6 }]);
    expect(take(149)).toBeUndefined();
    expect(take(150)).toBe("other-2");
    database.close();
  });

  it("admits a batch in queue order within the global cap, each profile's cap and each key's tokens", async () => {
    const database = await queueWith(fileUrl(), [
      { id: "capped-1", profile: "capped", enqueuedAt: 1 },
      { id: "capped-2", profile: "capped", enqueuedAt: 2 },
      { id: "capped-3", profile: "capped", enqueuedAt: 3 },
      { id: "keyed-1", rateKey: "slow", enqueuedAt: 4 },
      { id: "keyed-2", rateKey: "slow", enqueuedAt: 5 },
      { id: "urgent", priority: "high", enqueuedAt: 6 },
      { id: "plain-1", enqueuedAt: 7 },
      { id: "plain-2", enqueuedAt: 8 },
    ]);
    const batch = (limit: number, maxConcurrent = 10, now = 100) =>
      admitBatch(database, {
        node: "a",
        maxConcurrent,
        now,
        leaseMs: 600_000,
        profileCaps: { capped: 2 },
        rateLimits: { slow: 1 },
        limit,
      }).map((task) => task.id);
    // Global cap 5: the first five that may run, in queue order (priority first).
    expect(batch(10, 5)).toEqual(["urgent", "capped-1", "capped-2", "keyed-1", "plain-1"]);
    expect(running(database)).toBe(5);
    // The cap reached: nothing; with room, what is left that may run — not capped-3 (its
    // profile is at its cap) nor keyed-2 (its bucket of 1/min is empty).
    expect(batch(10, 5)).toEqual([]);
    expect(batch(10)).toEqual(["plain-2"]);
    expect(batch(10)).toEqual([]);
    // A minute later the bucket holds one token again; a finished capped task makes room.
    expect(finishAdmitted(database, "capped-1", "a", "completed", 110)).toBe(true);
    expect(batch(10, 10, 60_100)).toEqual(["capped-3", "keyed-2"]);
    expect(database.get("SELECT units FROM scheduler_rate_buckets WHERE rate_key = 'slow'")).toEqual({ units: 0 });
    database.close();
  });

  it("takes a token from the task's bucket, refills it from the node's clock, and an empty bucket holds back only its key", async () => {
    const database = await queueWith(fileUrl(), [
      { id: "slow-1", rateKey: "slow", enqueuedAt: 1 },
      { id: "slow-2", rateKey: "slow", enqueuedAt: 2 },
      { id: "slow-3", rateKey: "slow", enqueuedAt: 3 },
      { id: "slow-4", rateKey: "slow", enqueuedAt: 4 },
      { id: "free-1", rateKey: "free", enqueuedAt: 5 },
      { id: "other-1", rateKey: "other", enqueuedAt: 6 },
    ]);
    // slow: 2/min (a token every 30 s, two at most); free: no limit; others: 60/min.
    const take = (now: number) =>
      admitNext(database, {
        node: "a",
        maxConcurrent: 10,
        now,
        leaseMs: 600_000,
        ratePerMinute: 60,
        rateLimits: { slow: 2, free: Number.POSITIVE_INFINITY },
      })?.id;
    expect([take(0), take(0), take(0), take(0)]).toEqual(["slow-1", "slow-2", "free-1", "other-1"]);
    expect(take(29_999)).toBeUndefined();
    expect(take(30_000)).toBe("slow-3");
    // A node whose clock is behind refills nothing.
    expect(take(0)).toBeUndefined();
    expect(take(60_000)).toBe("slow-4");
    expect(database.all("SELECT rate_key, units, updated_at FROM scheduler_rate_buckets ORDER BY rate_key")).toEqual([
      { rate_key: "other", units: 59 * 60_000, updated_at: 0 },
      { rate_key: "slow", units: 0, updated_at: 60_000 },
    ]);
    // Ten idle minutes refill to one minute's worth, no more.
    enqueue(
      database,
      [1, 2, 3].map((n) => ({ id: `slow-late-${n}`, rateKey: "slow", enqueuedAt: 10 + n })),
    );
    expect([take(660_000), take(660_000), take(660_000)]).toEqual(["slow-late-1", "slow-late-2", undefined]);
    database.close();
  });

  it("refuses caps, rates and aging that are not positive with SCHEDULER_LIMIT_INVALID, before touching the queue", async () => {
    const database = await queueWith(fileUrl(), [{ id: "t1", profile: "p" }]);
    const base = { node: "a", maxConcurrent: 1, now: 0, leaseMs: 50 };
    for (const options of [
      { ...base, profileCaps: { p: 0 } },
      { ...base, profileCaps: { p: 1.5 } },
      { ...base, ratePerMinute: 0 },
      { ...base, rateLimits: { default: Number.NaN } },
      { ...base, maxConcurrent: 0 },
      { ...base, agingMs: -1 },
    ]) {
      expect(() => admitNext(database, options)).toThrow(expect.objectContaining({ code: "SCHEDULER_LIMIT_INVALID" }));
    }
    expect(running(database)).toBe(0);
    database.close();
  });
});

describe("admitNext and admitBatch across node processes on one sqld", () => {
  it.each(["one", "batch"] as const)(
    "never runs more than the global cap, and admits every task exactly once (%s at a time)",
    async (mode) => {
      const TASKS = 120;
      const CAP = 3;
      const NODES = 4;
      const server = await startSqld();
      try {
        const database = await queueWith(
          server.url,
          Array.from({ length: TASKS }, (_, index) => ({ id: `task-${index}`, enqueuedAt: index })),
        );
        database.exec(`
        CREATE TABLE test_admissions (running INTEGER NOT NULL, node TEXT NOT NULL);
        CREATE TRIGGER test_admission AFTER UPDATE OF status ON scheduler_tasks WHEN new.status = 'running' BEGIN
          INSERT INTO test_admissions (running, node)
            SELECT count(*), new.lease_owner FROM scheduler_tasks WHERE status = 'running';
        END;
      `);
        const nodes = await Promise.all(
          Array.from({ length: NODES }, (_, index) => runWorker(server.url, `node-${index}`, CAP, 2, {}, mode)),
        );
        const admissions = database.all<{ running: number; node: string }>("SELECT running, node FROM test_admissions");
        const tasks = database.all<{ status: string; attempts: number }>(
          "SELECT status, attempts FROM scheduler_tasks",
        );
        database.close();

        expect(admissions).toHaveLength(TASKS);
        expect(Math.max(...admissions.map((row) => row.running))).toBeLessThanOrEqual(CAP);
        expect(tasks.every((task) => task.status === "completed" && task.attempts === 1)).toBe(true);
        expect(nodes.reduce((sum, node) => sum + node.admitted, 0)).toBe(TASKS);
        expect(new Set(admissions.map((row) => row.node)).size).toBeGreaterThan(1);
      } finally {
        await server.close();
      }
    },
  );
});

describe("profile caps and rate buckets across node processes on one sqld", () => {
  it.each(["one", "batch"] as const)(
    "a 60/min bucket admits 60 at once and then only its refill, across three nodes taking as fast as they can (%s at a time)",
    async (mode) => {
      const server = await startSqld();
      const clock = new ManualClock(0);
      const nodes: SteppedWorker[] = [];
      try {
        const database = await queueWith(
          server.url,
          Array.from({ length: 300 }, (_, index) => ({ id: `task-${index}`, rateKey: "provider", enqueuedAt: index })),
        );
        const limits = { maxConcurrent: 1000, ratePerMinute: 60 };
        for (const name of ["node-a", "node-b", "node-c"])
          nodes.push(new SteppedWorker(server.url, name, limits, mode));
        /** Every node takes what it can at the clock's time; the ids taken, per node. */
        const step = async () => Promise.all(nodes.map((node) => node.step(clock.now())));
        const taken: string[][] = [];

        taken.push(...(await step()));
        expect(count(taken)).toBe(60);
        // Twenty races for one token each: a token every second.
        for (let second = 1; second <= 20; second++) {
          clock.advance(1000);
          const round = await step();
          taken.push(...round);
          expect(count(round), `second ${second}`).toBe(1);
        }
        // The rest of the first minute refills 40 tokens: 120 in the first minute, not 180 (or 360).
        clock.advance(40_000);
        taken.push(...(await step()));
        expect(count(taken)).toBe(120);
        // Idle minutes refill one minute's worth, no more.
        clock.advance(140_000);
        const burst = await step();
        taken.push(...burst);
        expect(count(burst)).toBe(60);

        const ids = taken.flat();
        expect(new Set(ids).size).toBe(ids.length);
        expect(running(database)).toBe(180);
        // Several nodes took tokens (steps push one array per node, in node order).
        const takers = new Set(taken.flatMap((ids, index) => (ids.length > 0 ? [index % nodes.length] : [])));
        expect(takers.size).toBeGreaterThan(1);
        database.close();
      } finally {
        await Promise.all(nodes.map((node) => node.close()));
        await server.close();
      }
    },
  );

  it.each(["one", "batch"] as const)(
    "never runs more of a profile than its cap, and admits another profile's tasks meanwhile (%s at a time)",
    async (mode) => {
      const PER_PROFILE = 40;
      const server = await startSqld();
      try {
        // The capped profile's tasks are all older than the others': they are the queue's head.
        const database = await queueWith(server.url, [
          ...Array.from({ length: PER_PROFILE }, (_, index) => ({
            id: `capped-${index}`,
            profile: "capped",
            enqueuedAt: index,
          })),
          ...Array.from({ length: PER_PROFILE }, (_, index) => ({
            id: `wide-${index}`,
            profile: "wide",
            enqueuedAt: PER_PROFILE + index,
          })),
        ]);
        database.exec(`
        CREATE TABLE test_admissions (
          profile TEXT NOT NULL, capped INTEGER NOT NULL, wide INTEGER NOT NULL, total INTEGER NOT NULL,
          capped_queued INTEGER NOT NULL);
        CREATE TRIGGER test_admission AFTER UPDATE OF status ON scheduler_tasks WHEN new.status = 'running' BEGIN
          INSERT INTO test_admissions (profile, capped, wide, total, capped_queued)
            SELECT new.profile, sum(profile = 'capped'), sum(profile = 'wide'), count(*),
              (SELECT count(*) FROM scheduler_tasks WHERE status = 'queued' AND profile = 'capped')
            FROM scheduler_tasks WHERE status = 'running';
        END;
      `);
        const limits = { profileCaps: { capped: 2, wide: 3 } };
        // Each node holds up to three tasks, one more than the capped profile's cap: a node that
        // holds both capped tasks it may run asks again however the nodes interleave, and must then
        // be given a task of the other profile while capped ones are still queued.
        const nodes = await Promise.all(
          ["node-a", "node-b", "node-c"].map((name) => runWorker(server.url, name, 4, 3, limits, mode)),
        );
        const admissions = database.all<{
          profile: string;
          capped: number;
          wide: number;
          total: number;
          capped_queued: number;
        }>("SELECT profile, capped, wide, total, capped_queued FROM test_admissions");
        const tasks = database.all<{ status: string; attempts: number }>(
          "SELECT status, attempts FROM scheduler_tasks",
        );
        database.close();

        expect(admissions).toHaveLength(2 * PER_PROFILE);
        expect(Math.max(...admissions.map((row) => row.capped))).toBe(2);
        expect(Math.max(...admissions.map((row) => row.wide))).toBeLessThanOrEqual(3);
        expect(Math.max(...admissions.map((row) => row.total))).toBeLessThanOrEqual(4);
        // While the capped profile was at its cap with tasks still queued, the other's went ahead.
        expect(
          admissions.filter((row) => row.profile === "wide" && row.capped === 2 && row.capped_queued > 0).length,
        ).toBeGreaterThan(0);
        expect(tasks.every((task) => task.status === "completed" && task.attempts === 1)).toBe(true);
        expect(nodes.reduce((sum, node) => sum + node.admitted, 0)).toBe(2 * PER_PROFILE);
      } finally {
        await server.close();
      }
    },
  );
});

const count = (taken: string[][]) => taken.reduce((sum, ids) => sum + ids.length, 0);

/** A node process of `rate-worker.ts`: `step(now)` has it take what it can at `now`. */
class SteppedWorker {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  readonly #exited: Promise<number | null>;
  #stderr = "";

  constructor(url: string, node: string, limits: object, mode: "one" | "batch") {
    // Node, also under Bun or Deno (the portability run): the node processes are Node kernels.
    this.#child = spawn("node", [
      "--conditions=@oxios/source",
      "--import",
      "tsx",
      RATE_WORKER,
      url,
      node,
      JSON.stringify(limits),
      mode,
    ]);
    this.#child.stderr.on("data", (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    this.#exited = new Promise((resolve) => this.#child.once("exit", (code) => resolve(code)));
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async step(now: number): Promise<string[]> {
    this.#child.stdin.write(`${now}\n`);
    const line = await this.#lines.next();
    if (line.done === true) throw new Error(`the node exited: ${this.#stderr}`);
    return JSON.parse(line.value) as string[];
  }

  async close(): Promise<void> {
    this.#child.stdin.end();
    const code = await this.#exited;
    if (code !== 0) throw new Error(`the node exited ${code}: ${this.#stderr}`);
  }
}

/** Runs one node process to its end; resolves with what it printed. */
async function runWorker(
  url: string,
  node: string,
  cap: number,
  hold: number,
  limits: object = {},
  mode: "one" | "batch" = "one",
): Promise<{ node: string; admitted: number; refused: number }> {
  // Node, also when this file runs under Bun or Deno (the portability run): the node processes
  // are Node kernels.
  const child = spawn(
    "node",
    [
      "--conditions=@oxios/source",
      "--import",
      "tsx",
      WORKER,
      url,
      node,
      String(cap),
      String(hold),
      JSON.stringify(limits),
      mode,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
  if (code !== 0) throw new Error(`${node} exited ${code}: ${output}`);
  const line = output.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as { node: string; admitted: number; refused: number };
}
