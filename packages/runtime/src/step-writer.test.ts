import { KernelError } from "@oxios/core";
import { describe, expect, it } from "vitest";
import type { RunStep, StepJournal } from "./run-journal.ts";
import { StepWriter } from "./step-writer.ts";

/** A journal whose appends settle only when the test says so, in any order. */
function heldJournal() {
  const writes: Array<{ step: RunStep; resolve: () => void; reject: (error: unknown) => void }> = [];
  const journal: StepJournal = {
    steps: [],
    append: (step) => new Promise<void>((resolve, reject) => writes.push({ step, resolve, reject })),
  };
  return { journal, writes };
}

const prompt: RunStep = { kind: "prompt", system: "s", input: "i" };
const toolCall: RunStep = { kind: "tool-call", callId: "c1", name: "ls" };

describe("StepWriter", () => {
  it("durable() waits for the steps written ahead before it, not only its own", async () => {
    const { journal, writes } = heldJournal();
    const steps = new StepWriter(journal);
    steps.writeAhead(prompt);
    let durable = false;
    const done = steps.durable(toolCall).then(() => {
      durable = true;
    });
    writes[1]?.resolve();
    await Promise.resolve(writes[1]);
    expect(durable).toBe(false);
    writes[0]?.resolve();
    await done;
    expect(durable).toBe(true);
    expect(writes.map((write) => write.step.kind)).toEqual(["prompt", "tool-call"]);
  });

  it("a step written ahead that failed fails the next durable(), even when the later write succeeded", async () => {
    const { journal, writes } = heldJournal();
    const steps = new StepWriter(journal);
    steps.writeAhead(prompt);
    const done = steps.durable(toolCall);
    writes[0]?.reject(new KernelError("RUN_JOURNAL_FAILED", "disk full"));
    writes[1]?.resolve();
    await expect(done).rejects.toMatchObject({ code: "RUN_JOURNAL_FAILED" });
    // And it stays failed: nothing after a gap may count as durable.
    await expect(steps.durable()).rejects.toMatchObject({ code: "RUN_JOURNAL_FAILED" });
  });

  it("settled() waits for failed and durable writes alike and never rejects", async () => {
    const { journal, writes } = heldJournal();
    const steps = new StepWriter(journal);
    steps.writeAhead(prompt);
    steps.writeAhead(toolCall);
    writes[0]?.reject(new KernelError("RUN_JOURNAL_FAILED", "disk full"));
    writes[1]?.resolve();
    await expect(steps.settled()).resolves.toBeUndefined();
  });

  it("without a journal every step is a no-op", async () => {
    const steps = new StepWriter(undefined);
    steps.writeAhead(prompt);
    await expect(steps.durable(toolCall)).resolves.toBeUndefined();
  });
});
