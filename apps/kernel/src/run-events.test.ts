/**
 * `runEvents` over a journal the test writes to, on a ManualClock: the status, each step once in
 * seq order and the end after the last step; a reader after a seq gets the rest; a journal out of
 * reach pauses the events instead of ending them; an unknown run is `RUN_NOT_FOUND`.
 */

import { KernelError, silentLogger } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { type RunRecord, type RunStep, RuntimeErrorCode } from "@oxios/runtime";
import { describe, expect, it } from "vitest";
import { type RunEvent, runEvents } from "./run-events.ts";

const POLL_MS = 200;

/** The two reads `runEvents` makes, over rows the test writes; `unreachable` makes both throw. */
class TestJournal {
  readonly records = new Map<string, RunRecord>();
  readonly steps: Array<{ seq: number; taskId: string; step: RunStep }> = [];
  unreachable = false;
  #seq = 0;

  async get(taskId: string): Promise<RunRecord | undefined> {
    this.#check();
    const record = this.records.get(taskId);
    return record === undefined ? undefined : structuredClone(record);
  }

  async stepsAfter(taskId: string, afterSeq: number, limit = 500): Promise<Array<{ seq: number; step: RunStep }>> {
    this.#check();
    return this.steps
      .filter((row) => row.taskId === taskId && row.seq > afterSeq)
      .slice(0, limit)
      .map((row) => ({ seq: row.seq, step: row.step }));
  }

  set(taskId: string, status: RunRecord["status"], extra: Partial<RunRecord> = {}): void {
    this.records.set(taskId, {
      taskId,
      agentId: `agent-${taskId}`,
      goal: "g",
      priority: "normal",
      status,
      createdAt: 1,
      ...extra,
    });
  }

  append(taskId: string, step: RunStep): number {
    this.#seq++;
    this.steps.push({ seq: this.#seq, taskId, step });
    return this.#seq;
  }

  #check(): void {
    if (this.unreachable) throw new KernelError(RuntimeErrorCode.journalUnavailable, "out of reach");
  }
}

const prompt: RunStep = { kind: "prompt", system: "s", input: "i" };
const model: RunStep = { kind: "model", text: "done", toolCalls: [], usage: { inputTokens: 1, outputTokens: 1 } };

function setup() {
  const clock = new ManualClock();
  const journal = new TestJournal();
  const controller = new AbortController();
  const open = (taskId: string, afterSeq = 0) =>
    runEvents({ journal, clock, logger: silentLogger, pollMs: POLL_MS }, taskId, afterSeq, controller.signal);
  /** The next event, letting the poll timers fire until it comes. */
  async function next(events: AsyncGenerator<RunEvent>): Promise<RunEvent | undefined> {
    const pending = events.next();
    let settled: IteratorResult<RunEvent> | undefined;
    void pending.then((result) => {
      settled = result;
    });
    for (let turn = 0; turn < 50 && settled === undefined; turn++) await clock.advanceAsync(POLL_MS);
    const result = await pending;
    return result.done === true ? undefined : result.value;
  }
  return { clock, journal, controller, open, next };
}

function describeEvent(event: RunEvent | undefined): string {
  if (event === undefined) return "done";
  if (event.type === "step") return `step ${event.seq} ${event.step.kind}`;
  return `${event.type} ${event.record.status}/${event.record.resumes ?? 0}`;
}

describe("runEvents", () => {
  it("streams the status, each step once in seq order and the end after the last step; a reader after a seq gets the rest", async () => {
    const { journal, open, next } = setup();
    journal.set("r1", "running");
    const first = journal.append("r1", prompt);
    journal.append("other", prompt);
    const events = open("r1");
    expect(describeEvent(await next(events))).toBe("status running/0");
    expect(describeEvent(await next(events))).toBe(`step ${first} prompt`);

    // A takeover: the record resumes once, and the adopting attempt's step follows.
    journal.set("r1", "running", { resumes: 1 });
    const second = journal.append("r1", model);
    expect(describeEvent(await next(events))).toBe("status running/1");
    expect(describeEvent(await next(events))).toBe(`step ${second} model`);
    journal.set("r1", "completed", { resumes: 1, text: "done" });
    expect(describeEvent(await next(events))).toBe("end completed/1");
    expect(describeEvent(await next(events))).toBe("done");

    // Another reader continues after the first step: the rest, then the end.
    const resumed = open("r1", first);
    expect(describeEvent(await next(resumed))).toBe(`step ${second} model`);
    expect(describeEvent(await next(resumed))).toBe("end completed/1");
    expect(describeEvent(await next(resumed))).toBe("done");
  });

  it("pauses while the journal cannot be reached and continues where it left off", async () => {
    const { journal, open, next } = setup();
    journal.set("r1", "running");
    const first = journal.append("r1", prompt);
    const events = open("r1");
    expect(describeEvent(await next(events))).toBe("status running/0");
    expect(describeEvent(await next(events))).toBe(`step ${first} prompt`);
    journal.unreachable = true;
    const pending = next(events);
    const second = journal.append("r1", model);
    journal.set("r1", "completed");
    journal.unreachable = false;
    expect(describeEvent(await pending)).toBe(`step ${second} model`);
    expect(describeEvent(await next(events))).toBe("end completed/0");
  });

  it("ends when the signal aborts, and throws RUN_NOT_FOUND for a run the journal does not hold", async () => {
    const { journal, controller, open, next } = setup();
    journal.set("r1", "queued");
    const events = open("r1");
    expect(describeEvent(await next(events))).toBe("status queued/0");
    const pending = next(events);
    controller.abort();
    expect(describeEvent(await pending)).toBe("done");
    await expect(setup().open("missing").next()).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
  });
});
