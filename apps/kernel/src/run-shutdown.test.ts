import { createMemoryLogger, ManualClock } from "@oxios/core/testing";
import { ShutdownSequence } from "@oxios/daemon";
import { describe, expect, it } from "vitest";
import { LATE_STEPS_GRACE_MS, runShutdown } from "./run-shutdown.ts";

describe("runShutdown", () => {
  it("joins a step that ends within the grace after its timeout, and gives up on a hung one once the grace has passed", async () => {
    const clock = new ManualClock(0);
    const logger = createMemoryLogger();
    let releaseGit: () => void = () => undefined;
    const shutdown = new ShutdownSequence({ logger, clock })
      .add(
        "flush git commits",
        () =>
          new Promise<void>((resolve) => {
            releaseGit = resolve;
          }),
        { timeoutMs: 1_000 },
      )
      .add("close databases", () => new Promise<void>(() => undefined), { timeoutMs: 1_000 });
    let done = false;
    const stopped = runShutdown(shutdown, "SIGTERM", logger).then((report) => {
      done = true;
      return report;
    });
    await clock.advanceAsync(2_000);
    releaseGit();
    await clock.advanceAsync(LATE_STEPS_GRACE_MS - 1);
    expect(done).toBe(false);
    expect(logger.find("warn", "finished after its timeout")[0]?.fields).toMatchObject({ step: "flush git commits" });
    await clock.advanceAsync(1);
    expect(done).toBe(true);
    expect((await stopped).steps.map((step) => step.status)).toEqual(["timed-out", "timed-out"]);
    expect(logger.find("warn", "still running past their timeout")[0]?.fields).toMatchObject({
      steps: ["close databases"],
    });
  });

  it("returns as soon as the late steps have ended, and warns of none", async () => {
    const clock = new ManualClock(0);
    const logger = createMemoryLogger();
    let release: () => void = () => undefined;
    const shutdown = new ShutdownSequence({ logger, clock }).add(
      "flush audit",
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      { timeoutMs: 1_000 },
    );
    const stopped = runShutdown(shutdown, "SIGTERM", logger);
    await clock.advanceAsync(1_000);
    release();
    expect((await stopped).ok).toBe(false);
    expect(logger.find("warn", "finished after its timeout")).toHaveLength(1);
    expect(logger.find("warn", "still running past their timeout")).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
