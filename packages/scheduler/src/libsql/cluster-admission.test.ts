/**
 * Cluster admission: the semantics of `admitNext` and its lease statements on a file, and the
 * global cap under contention — four node processes against one real sqld (started on
 * 127.0.0.1 by `@oxios/tooling/sqld`), each holding up to two tasks, cap three. A trigger
 * records, inside each admitting statement's own write, how many tasks were running right
 * after it: that number never exceeds the cap, and every task is admitted exactly once.
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Database, openDatabase } from "@oxios/database";
import { startSqld } from "@oxios/tooling/sqld";
import { afterEach, describe, expect, it } from "vitest";
import {
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
const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** A database with the queue's schema (migrated by the store) and `count` queued tasks. */
async function queueWith(url: string, tasks: Array<{ id: string; priority?: string; enqueuedAt?: number }>) {
  const store = await LibsqlTaskStore.open({ url });
  await store.close();
  const database = await openDatabase({ url });
  database.transaction(() => {
    for (const task of tasks) {
      database.run(
        `INSERT INTO scheduler_tasks (id, priority, rate_key, created_at, enqueued_at, status)
         VALUES (?, ?, 'default', ?, ?, 'queued')`,
        [task.id, task.priority ?? "normal", task.enqueuedAt ?? 0, task.enqueuedAt ?? 0],
      );
    }
  });
  return database;
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

describe("admitNext across node processes on one sqld", () => {
  it("never runs more than the global cap, and admits every task exactly once", async () => {
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
        Array.from({ length: NODES }, (_, index) => runWorker(server.url, `node-${index}`, CAP, 2)),
      );
      const admissions = database.all<{ running: number; node: string }>("SELECT running, node FROM test_admissions");
      const tasks = database.all<{ status: string; attempts: number }>("SELECT status, attempts FROM scheduler_tasks");
      database.close();

      expect(admissions).toHaveLength(TASKS);
      expect(Math.max(...admissions.map((row) => row.running))).toBeLessThanOrEqual(CAP);
      expect(tasks.every((task) => task.status === "completed" && task.attempts === 1)).toBe(true);
      expect(nodes.reduce((sum, node) => sum + node.admitted, 0)).toBe(TASKS);
      expect(new Set(admissions.map((row) => row.node)).size).toBeGreaterThan(1);
    } finally {
      await server.close();
    }
  });
});

/** Runs one node process to its end; resolves with what it printed. */
async function runWorker(
  url: string,
  node: string,
  cap: number,
  hold: number,
): Promise<{ node: string; admitted: number; refused: number }> {
  // Node, also when this file runs under Bun or Deno (the portability run): the node processes
  // are Node kernels.
  const child = spawn(
    "node",
    ["--conditions=@oxios/source", "--import", "tsx", WORKER, url, node, String(cap), String(hold)],
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
