// Kill -9 a kernel process with tasks queued and running, restart on the same database, and
// check the contract: every task completes exactly once in the store, the tasks that were
// running are retried (attempt 2, same idempotency key), and each effect happens once.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManualClock } from "@oxios/core/testing";
import Database from "libsql";
import { afterEach, beforeEach, expect, it } from "vitest";
import { Scheduler } from "../scheduler.ts";
import { LibsqlTaskStore } from "./libsql-task-store.ts";

const fixture = fileURLToPath(new URL("../../__fixtures__/durable-child.ts", import.meta.url));
const packageDir = fileURLToPath(new URL("../..", import.meta.url));
let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "oxios-durable-"));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function startKernel(url: string, effectsPath: string): Promise<{ kill: () => Promise<string | null> }> {
  // Always Node for the child: the test is about the process dying, not the runtime.
  const child = spawn("node", ["--conditions=@oxios/source", "--import", "tsx", fixture, url, effectsPath], {
    cwd: packageDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Uint8Array) => {
    stderr += String(chunk);
  });
  const exited = new Promise<string | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk: Uint8Array) => {
      if (String(chunk).includes("READY")) {
        resolve({
          kill: async () => {
            child.kill("SIGKILL");
            return exited;
          },
        });
      }
    });
    child.on("exit", (code) => reject(new Error(`kernel exited early (${code}): ${stderr}`)));
  });
}

it("after SIGKILL every task completes exactly once, running ones retried with their key", async () => {
  const url = `file:${join(directory, "queue.db")}`;
  const effectsPath = join(directory, "effects.db");
  const effects = new Database(effectsPath);
  effects.exec(`PRAGMA journal_mode = WAL;
    CREATE TABLE executions (task_id TEXT NOT NULL, attempt INTEGER NOT NULL, pid INTEGER NOT NULL);
    CREATE TABLE effects (idempotency_key TEXT PRIMARY KEY);`);

  const kernel = await startKernel(url, effectsPath);
  expect(await kernel.kill()).toBe("SIGKILL");

  // Restart: a later clock so the dead process's leases (60 s) have expired.
  const store = await LibsqlTaskStore.open({ url });
  const before = store.list();
  expect(before.map((task) => task.status)).toEqual([
    "completed",
    "running",
    "running",
    "queued",
    "queued",
    "queued",
    "queued",
    "queued",
  ]);
  const clock = new ManualClock(Date.now() + 61_000);
  const scheduler = new Scheduler({ clock, store, maxConcurrent: 2, ratePerMinute: Number.POSITIVE_INFINITY });
  const report = await scheduler.recover(
    async (task, _signal, lease) => {
      expect(lease.idempotencyKey).toBe(task.idempotencyKey);
      effects
        .prepare("INSERT INTO executions (task_id, attempt, pid) VALUES (?, ?, ?)")
        .run([task.id, lease.attempt, process.pid]);
      effects.prepare("INSERT OR IGNORE INTO effects (idempotency_key) VALUES (?)").run([lease.idempotencyKey]);
      return "done";
    },
    { maxAttempts: 3 },
  );
  expect([...report.retried].sort()).toEqual(["task-1", "task-2"]);
  const settled = await Promise.all(report.requeued.map((handle) => handle.settled));
  expect(settled.every((record) => record.status === "completed")).toBe(true);
  await scheduler.drain({ timeoutMs: 0 });

  const after = store.list();
  expect(after.map((task) => [task.id, task.status, task.attempts])).toEqual([
    ["task-0", "completed", 1],
    ["task-1", "completed", 2],
    ["task-2", "completed", 2],
    ["task-3", "completed", 1],
    ["task-4", "completed", 1],
    ["task-5", "completed", 1],
    ["task-6", "completed", 1],
    ["task-7", "completed", 1],
  ]);
  await store.close();

  const executions = effects
    .prepare("SELECT task_id, attempt FROM executions ORDER BY task_id, attempt")
    .all([]) as Array<{
    task_id: string;
    attempt: number;
  }>;
  const perTask = new Map<string, number[]>();
  for (const row of executions) perTask.set(row.task_id, [...(perTask.get(row.task_id) ?? []), row.attempt]);
  // At-least-once: the two tasks running at the kill ran twice (attempts 1 and 2); the rest once.
  expect(Object.fromEntries(perTask)).toEqual({
    "task-0": [1],
    "task-1": [1, 2],
    "task-2": [1, 2],
    "task-3": [1],
    "task-4": [1],
    "task-5": [1],
    "task-6": [1],
    "task-7": [1],
  });
  // Exactly-once effect through the idempotency key.
  const keys = (
    effects.prepare("SELECT idempotency_key FROM effects ORDER BY idempotency_key").all([]) as Array<{
      idempotency_key: string;
    }>
  ).map((row) => row.idempotency_key);
  expect(keys).toEqual(Array.from({ length: 8 }, (_, index) => `key-${index}`));
  effects.close();
});
