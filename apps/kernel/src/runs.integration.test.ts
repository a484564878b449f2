// The run service's long polls on a real kernel booted in this process (real journal and
// scheduler, the scripted model held until the test lets it answer, a manual clock so no wait
// ends by its time).

import { ManualClock } from "@oxios/core/testing";
import { FakeLlmServer } from "@oxios/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { bootInProcessKernel } from "./__fixtures__/in-process-kernel.ts";

let cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe("RunService.waitFor", () => {
  it("holds 50 concurrent long polls of one run without a MaxListenersExceededWarning, and answers each when it ends", async () => {
    const gate: { open?: () => void } = {};
    const held = new Promise<void>((resolve) => {
      gate.open = resolve;
    });
    const fake = await FakeLlmServer.start({
      script: async () => {
        await held;
        return { text: "done" };
      },
    });
    cleanup.push(() => fake.close());
    const { kernel, stop } = await bootInProcessKernel({ modelUrl: fake.baseUrl, clock: new ManualClock() });
    cleanup.push(stop);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    cleanup.push(async () => process.off("warning", onWarning));

    const { taskId } = await kernel.runs.start({ goal: "wait for me" });
    // Each wait listens on the service's intake signal until the run ends (no wait ends by its time: the clock stands).
    const waits = Array.from({ length: 50 }, () => kernel.runs.waitFor(taskId, 60_000));
    gate.open?.();
    await Promise.all(waits);

    expect((await kernel.runs.load(taskId))?.status).toBe("completed");
    expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning")).toEqual([]);
  });
});
