// The run service's long polls on a real kernel booted in this process (real journal and
// scheduler, the scripted model held until the test lets it answer, a manual clock so no wait
// ends by its time).

import { createLogger } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { ShutdownSequence } from "@oxios/daemon";
import { FakeLlmServer } from "@oxios/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { tempHome } from "./__fixtures__/kernel-process.ts";
import { loadConfig } from "./config.ts";
import { bootKernel } from "./kernel.ts";

const silent = createLogger({ level: "error", write: () => undefined });
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
    const clock = new ManualClock();
    const shutdown = new ShutdownSequence({ logger: silent, clock });
    const config = loadConfig({
      OXIOS_HOME: tempHome(),
      OXIOS_EMBEDDER: "hashing",
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
    });
    const kernel = await bootKernel({ config, logger: silent, clock }, shutdown);
    cleanup.push(() => shutdown.run("test finished"));
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
