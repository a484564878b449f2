// Random sequences of enqueues, admissions at advancing times and finishes against `admitNext`
// on a real libsql file, compared step by step with a model written in plain code: the order
// (the scheduler's: `enqueuedAt − rank × agingMs`, then first queued; without aging highest
// priority, then oldest, then first queued), the global cap, the profile caps and
// one `TokenBucket` (the scheduler's own, in memory) per rate key. Every admission must pick
// exactly the task the model picks — so a task held back by its profile or its bucket never
// holds back the ones behind it — and the stored bucket must hold what the model's holds.
// `admitBatch` takes part too: its first task is the model's pick, each further one is a task
// the model lets through at that point (global cap, profile cap, a whole token), and it admits
// nothing only when the model has nothing to admit.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@oxios/database";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { TokenBucket } from "../token-bucket.ts";
import { admitBatch, admitNext, finishAdmitted } from "./cluster-admission.ts";
import { LibsqlTaskStore } from "./libsql-task-store.ts";

type Op =
  | { kind: "enqueue"; priority: number; profile: string | null; rateKey: string }
  | { kind: "admit"; advanceMs: number }
  | { kind: "admitBatch"; advanceMs: number; limit: number }
  | { kind: "finish"; pick: number };

const PRIORITIES = ["low", "normal", "high", "critical"] as const;

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("enqueue" as const),
      priority: fc.integer({ min: 0, max: 3 }),
      profile: fc.constantFrom("p1", "p2", null),
      rateKey: fc.constantFrom("k1", "k2", "k3"),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("admit" as const), advanceMs: fc.integer({ min: 0, max: 40_000 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("admitBatch" as const),
      advanceMs: fc.integer({ min: 0, max: 40_000 }),
      limit: fc.integer({ min: 1, max: 8 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("finish" as const), pick: fc.nat() }) },
);

interface ModelTask {
  id: string;
  seq: number;
  rank: number;
  enqueuedAt: number;
  profile: string | null;
  rateKey: string;
}

const directory = mkdtempSync(join(tmpdir(), "oxios-admission-model-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let databases = 0;

describe("admitNext against a model", () => {
  it("admits exactly the task the model admits, and keeps the same buckets", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxConcurrent: fc.integer({ min: 1, max: 8 }),
          p1: fc.integer({ min: 1, max: 3 }),
          p2: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
          ratePerMinute: fc.integer({ min: 1, max: 4 }),
          k2: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
          // Tasks are queued at times 0–20: an aging of 1–8 lets old tasks overtake newer ones of
          // a higher priority; none keeps the plain priority order.
          agingMs: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
          // No profile cap and no rate at all: the global cap alone (admission's shorter statement).
          unlimited: fc.boolean(),
        }),
        fc.array(op, { minLength: 1, maxLength: 80 }),
        async (limits, ops) => {
          const url = `file:${join(directory, `queue-${databases++}.db`)}`;
          await (await LibsqlTaskStore.open({ url })).close();
          const database = await openDatabase({ url });
          // k1 at the default rate, k2 its own (or none), k3 never limited.
          const rates: Record<string, number> = { k3: Number.POSITIVE_INFINITY };
          if (limits.k2 !== undefined && !limits.unlimited) rates.k2 = limits.k2;
          const profileCaps: Record<string, number> = limits.unlimited ? {} : { p1: limits.p1 };
          if (limits.p2 !== undefined && !limits.unlimited) profileCaps.p2 = limits.p2;
          const ratePerMinute = limits.unlimited ? Number.POSITIVE_INFINITY : limits.ratePerMinute;
          const agingMs = limits.agingMs ?? Number.POSITIVE_INFINITY;
          const options = { maxConcurrent: limits.maxConcurrent, profileCaps, ratePerMinute, agingMs };

          const queued: ModelTask[] = [];
          const running: ModelTask[] = [];
          const buckets = new Map<string, TokenBucket>();
          const rateOf = (key: string) => rates[key] ?? ratePerMinute;
          const bucket = (key: string, now: number) => {
            let found = buckets.get(key);
            if (found === undefined && Number.isFinite(rateOf(key))) {
              found = new TokenBucket(rateOf(key), now);
              buckets.set(key, found);
            }
            return found;
          };
          /** Whether every limit lets `task` through now. */
          const allowed = (task: ModelTask, now: number): boolean => {
            if (running.length >= limits.maxConcurrent) return false;
            const cap = task.profile === null ? undefined : profileCaps[task.profile];
            if (cap !== undefined && running.filter((other) => other.profile === task.profile).length >= cap) {
              return false;
            }
            const taskBucket = bucket(task.rateKey, now);
            return taskBucket === undefined || taskBucket.available(now) >= 1;
          };
          const start = (task: ModelTask, now: number): ModelTask => {
            bucket(task.rateKey, now)?.tryTake(now);
            queued.splice(queued.indexOf(task), 1);
            running.push(task);
            return task;
          };
          /** The queued tasks in the scheduler's order. */
          const ordered = () =>
            [...queued].sort((a, b) =>
              Number.isFinite(agingMs)
                ? a.enqueuedAt - a.rank * agingMs - (b.enqueuedAt - b.rank * agingMs) || a.seq - b.seq
                : b.rank - a.rank || a.enqueuedAt - b.enqueuedAt || a.seq - b.seq,
            );
          /** The model's admission: the first task in order that every limit lets through. */
          const modelAdmit = (now: number): ModelTask | undefined => {
            const task = ordered().find((one) => allowed(one, now));
            return task === undefined ? undefined : start(task, now);
          };

          let now = 0;
          let seq = 0;
          try {
            for (const step of ops) {
              if (step.kind === "enqueue") {
                const task: ModelTask = {
                  id: `t${seq}`,
                  seq,
                  rank: step.priority,
                  // Several tasks share a time, so the tie-break by queueing order is exercised.
                  enqueuedAt: Math.floor(seq / 3),
                  profile: step.profile,
                  rateKey: step.rateKey,
                };
                seq++;
                queued.push(task);
                database.run(
                  `INSERT INTO scheduler_tasks (id, priority, rate_key, profile, created_at, enqueued_at, status)
                   VALUES (?, ?, ?, ?, ?, ?, 'queued')`,
                  [
                    task.id,
                    PRIORITIES[task.rank] ?? "normal",
                    task.rateKey,
                    task.profile,
                    task.enqueuedAt,
                    task.enqueuedAt,
                  ],
                );
              } else if (step.kind === "admit") {
                now += step.advanceMs;
                const admitted = admitNext(database, {
                  ...options,
                  rateLimits: rates,
                  node: "n",
                  now,
                  leaseMs: 1e12,
                });
                expect(admitted?.id).toBe(modelAdmit(now)?.id);
              } else if (step.kind === "admitBatch") {
                now += step.advanceMs;
                const admitted = admitBatch(database, {
                  ...options,
                  rateLimits: rates,
                  node: "n",
                  now,
                  leaseMs: 1e12,
                  limit: step.limit,
                });
                expect(admitted.length).toBeLessThanOrEqual(step.limit);
                // In the model's order, as returned.
                const order = ordered().map((task) => task.id);
                const positions = admitted.map(({ id }) => order.indexOf(id));
                expect(positions).toEqual([...positions].sort((a, b) => a - b));
                expect(admitted[0]?.id).toBe(modelAdmit(now)?.id);
                for (const { id } of admitted.slice(1)) {
                  const task = queued.find((one) => one.id === id);
                  expect(task, id).toBeDefined();
                  expect(allowed(task as ModelTask, now), id).toBe(true);
                  start(task as ModelTask, now);
                }
              } else {
                const task = running[step.pick % Math.max(1, running.length)];
                if (task === undefined) continue;
                running.splice(running.indexOf(task), 1);
                expect(finishAdmitted(database, task.id, "n", "completed", now)).toBe(true);
              }
            }
            const stored = new Map(
              database
                .all<{ rate_key: string; units: number; updated_at: number }>(
                  "SELECT rate_key, units, updated_at FROM scheduler_rate_buckets",
                )
                .map((row) => [row.rate_key, row]),
            );
            expect([...stored.keys()].every((key) => buckets.has(key))).toBe(true);
            for (const [key, modelBucket] of buckets) {
              // The same whole tokens at the last time (a bucket without a row is full).
              const rate = rateOf(key);
              const row = stored.get(key);
              const units =
                row === undefined
                  ? rate * 60_000
                  : Math.min(rate * 60_000, row.units + Math.max(0, now - row.updated_at) * rate);
              expect(Math.floor(units / 60_000), key).toBe(modelBucket.available(now));
            }
          } finally {
            database.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
