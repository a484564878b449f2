// Random interleavings of submit, complete, fail, cancel, heartbeat, budget changes, grants
// and releases of granted tasks (`waitForGrant`, drawn) and clock advances on a ManualClock: no cap or
// rate is ever exceeded, no task is admitted without its grant, no task is lost or duplicated,
// and every task ends in exactly one terminal state.
import { ManualClock } from "@oxios/core/testing";
import type { KernelEvent } from "@oxios/event-bus";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Scheduler } from "./scheduler.ts";
import type { Priority, TaskHandle } from "./task.ts";

type Op =
  | { kind: "submit"; priority: Priority; rateKey: string; agent: number }
  | { kind: "complete"; pick: number }
  | { kind: "fail"; pick: number }
  | { kind: "cancel"; pick: number }
  | { kind: "heartbeat"; pick: number }
  | { kind: "budget"; open: boolean }
  | { kind: "grant"; pick: number }
  | { kind: "releaseGranted" }
  | { kind: "advance"; ms: number };

const priority = fc.constantFrom<Priority>("low", "normal", "high", "critical");
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("submit" as const),
      priority,
      rateKey: fc.constantFrom("a", "b"),
      agent: fc.integer({ min: 0, max: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("complete" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("fail" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("heartbeat" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("budget" as const), open: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("grant" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("releaseGranted" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
  },
);

const terminalTypes = new Set(["task.completed", "task.failed", "task.cancelled", "task.reaped"]);
const ids = (records: ReadonlyArray<{ id: string }>) => records.map((record) => record.id);

describe("scheduler under random interleavings", () => {
  it("never exceeds a cap or a rate, admits only granted tasks, never loses or duplicates a task, ends each task once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxConcurrent: fc.integer({ min: 1, max: 4 }),
          maxPerAgent: fc.integer({ min: 1, max: 3 }),
          ratePerMinute: fc.integer({ min: 1, max: 12 }),
          agingMs: fc.integer({ min: 1, max: 50_000 }),
          zombieAfterMs: fc.integer({ min: 1000, max: 60_000 }),
          waitForGrant: fc.boolean(),
        }),
        fc.array(op, { minLength: 1, maxLength: 120, size: "max" }),
        async (limits, ops) => {
          const clock = new ManualClock();
          const events = new RecordingPublisher();
          let budgetOpen = true;
          const scheduler = new Scheduler({
            clock,
            events,
            ...limits,
            canAdmit: (task) => budgetOpen || task.priority === "critical",
          });
          const agentOf = new Map<string, string | undefined>();
          const rateKeyOf = new Map<string, string>();
          const admissions = new Map<string, number[]>();
          const handles = new Map<string, TaskHandle>();
          const submitted: string[] = [];
          /** With `waitForGrant`: the tasks granted. */
          const granted = new Set<string>();
          let seen = 0;

          const check = (): void => {
            // Record the admissions published since the last check, with their times.
            for (const event of events.events.slice(seen) as KernelEvent[]) {
              if (event.type === "task.admitted") {
                if (limits.waitForGrant) expect(granted.has(event.payload.taskId)).toBe(true);
                const key = rateKeyOf.get(event.payload.taskId) as string;
                admissions.set(key, [...(admissions.get(key) ?? []), event.at]);
              }
            }
            seen = events.events.length;
            const running = scheduler.running();
            expect(running.length).toBeLessThanOrEqual(limits.maxConcurrent);
            const perAgent = new Map<string, number>();
            for (const record of running) {
              if (record.agentId !== undefined) perAgent.set(record.agentId, (perAgent.get(record.agentId) ?? 0) + 1);
            }
            for (const count of perAgent.values()) expect(count).toBeLessThanOrEqual(limits.maxPerAgent);
            const stats = scheduler.stats();
            expect(stats.running).toBe(running.length);
            expect(stats.queued).toBe(scheduler.queued().length);
            expect(stats.submitted).toBe(submitted.length);
            expect(stats.queued + stats.running + stats.completed + stats.failed + stats.cancelled + stats.reaped).toBe(
              submitted.length,
            );
          };

          for (const step of ops) {
            const running = scheduler.running();
            const pickRunning = (pick: number) => running[pick % Math.max(1, running.length)]?.id;
            switch (step.kind) {
              case "submit": {
                const id = `t${submitted.length}`;
                const agentId = step.agent === 0 ? undefined : `agent${step.agent}`;
                agentOf.set(id, agentId);
                rateKeyOf.set(id, step.rateKey);
                submitted.push(id);
                const handle = scheduler.submit({
                  id,
                  priority: step.priority,
                  rateKey: step.rateKey,
                  ...(agentId === undefined ? {} : { agentId }),
                });
                handles.set(id, handle);
                break;
              }
              case "complete": {
                const id = pickRunning(step.pick);
                if (id !== undefined) scheduler.complete(id);
                break;
              }
              case "fail": {
                const id = pickRunning(step.pick);
                if (id !== undefined) scheduler.fail(id, new Error("random failure"));
                break;
              }
              case "cancel": {
                const id = submitted[step.pick % Math.max(1, submitted.length)];
                if (id !== undefined) {
                  const before = scheduler.get(id)?.status;
                  const cancelled = scheduler.cancel(id, "random cancel");
                  expect(cancelled).toBe(before === "queued" || before === "running");
                }
                break;
              }
              case "heartbeat": {
                const id = pickRunning(step.pick);
                const handle = id === undefined ? undefined : handles.get(id);
                if (handle !== undefined) expect((await handle.admitted).heartbeat()).toBe(true);
                break;
              }
              case "budget":
                budgetOpen = step.open;
                scheduler.reconsider();
                break;
              case "grant": {
                // Mostly a queued task (in admission order), sometimes any task.
                const candidates = [...scheduler.queued().map((record) => record.id), ...submitted];
                const id = candidates[step.pick % Math.max(1, candidates.length)];
                if (id !== undefined) {
                  const waiting = limits.waitForGrant && scheduler.get(id)?.status === "queued" && !granted.has(id);
                  if (waiting) granted.add(id);
                  expect(scheduler.grant(id)).toBe(waiting);
                }
                break;
              }
              case "releaseGranted": {
                // What a node that lost its leases does: the granted tasks not started leave here.
                const waiting = limits.waitForGrant
                  ? submitted.filter((id) => granted.has(id) && scheduler.get(id)?.status === "queued")
                  : [];
                expect(ids(scheduler.granted()).sort()).toEqual(waiting.sort());
                for (const id of waiting) expect(scheduler.release(id, "lost its lease")).toBe(true);
                break;
              }
              case "advance":
                clock.advance(step.ms);
                break;
            }
            check();
          }

          // Run everything out: open the budget, grant every queued task, keep completing and advancing time.
          budgetOpen = true;
          for (const record of scheduler.queued()) {
            if (limits.waitForGrant && !granted.has(record.id)) granted.add(record.id);
            scheduler.grant(record.id);
          }
          scheduler.reconsider();
          for (let round = 0; round < 10_000 && scheduler.stats().queued + scheduler.stats().running > 0; round++) {
            for (const record of scheduler.running()) scheduler.complete(record.id);
            clock.advance(60_000 / limits.ratePerMinute);
            check();
          }

          // Rate: in any window [t_i, t_j], admissions ≤ burst + tokens refilled in the window.
          for (const times of admissions.values()) {
            for (let i = 0; i < times.length; i++) {
              for (let j = i; j < times.length; j++) {
                const refilled = Math.floor(
                  (((times[j] as number) - (times[i] as number)) * limits.ratePerMinute) / 60_000,
                );
                expect(j - i + 1).toBeLessThanOrEqual(limits.ratePerMinute + refilled);
              }
            }
          }

          // Every task: exactly one terminal event, matching its final status; admitted at most once.
          const terminal = new Map<string, string[]>();
          const admittedCount = new Map<string, number>();
          for (const event of events.events as KernelEvent[]) {
            if (terminalTypes.has(event.type)) {
              const taskId = (event.payload as { taskId: string }).taskId;
              terminal.set(taskId, [...(terminal.get(taskId) ?? []), event.type]);
            }
            if (event.type === "task.admitted") {
              admittedCount.set(event.payload.taskId, (admittedCount.get(event.payload.taskId) ?? 0) + 1);
            }
          }
          for (const id of submitted) {
            const record = scheduler.get(id);
            expect(record?.status).toMatch(/^(completed|failed|cancelled|reaped)$/);
            expect(terminal.get(id)).toEqual([`task.${record?.status}`]);
            expect(admittedCount.get(id) ?? 0).toBeLessThanOrEqual(1);
          }
          expect(terminal.size).toBe(submitted.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
