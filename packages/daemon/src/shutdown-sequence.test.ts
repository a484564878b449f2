import { createMemoryLogger, ManualClock } from "@oxios/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ShutdownSequence } from "./shutdown-sequence.ts";

const KERNEL_ORDER = [
  "stop intake",
  "drain scheduler",
  "stop agents",
  "flush memory",
  "flush audit",
  "flush git",
  "close databases",
  "remove pid file",
];

describe("ShutdownSequence", () => {
  it("runs hooks one at a time in registration order and reports each as ok", async () => {
    const clock = new ManualClock(0);
    const logger = createMemoryLogger();
    const sequence = new ShutdownSequence({ logger, clock });
    const events: string[] = [];
    for (const name of KERNEL_ORDER) {
      sequence.add(name, async () => {
        events.push(`start ${name}`);
        await Promise.resolve();
        events.push(`end ${name}`);
      });
    }
    const report = await sequence.run("SIGTERM");
    expect(events).toEqual(KERNEL_ORDER.flatMap((name) => [`start ${name}`, `end ${name}`]));
    expect(report.ok).toBe(true);
    expect(report.reason).toBe("SIGTERM");
    expect(report.steps.map((step) => [step.name, step.status])).toEqual(KERNEL_ORDER.map((name) => [name, "ok"]));
    expect(logger.find("info", "shutdown step done").map((record) => record.fields.step)).toEqual(KERNEL_ORDER);
    expect(logger.find("info", "shutdown complete")).toHaveLength(1);
  });

  it("records a throwing hook (sync or async) as failed and continues", async () => {
    const logger = createMemoryLogger();
    const ran: string[] = [];
    const sequence = new ShutdownSequence({ logger, clock: new ManualClock(0) })
      .add("sync throw", () => {
        ran.push("sync throw");
        throw new Error("scheduler exploded");
      })
      .add("async reject", async () => {
        ran.push("async reject");
        throw new Error("audit disk full");
      })
      .add("after", () => {
        ran.push("after");
      });
    const report = await sequence.run();
    expect(ran).toEqual(["sync throw", "async reject", "after"]);
    expect(report.ok).toBe(false);
    expect(report.steps.map((step) => step.status)).toEqual(["failed", "failed", "ok"]);
    expect(report.steps[0]?.error?.message).toBe("scheduler exploded");
    expect(report.steps[1]?.error?.message).toBe("audit disk full");
    expect(logger.find("error", "shutdown step failed")).toHaveLength(2);
    expect(logger.find("error", "shutdown complete with failures")[0]?.fields.failed).toEqual([
      "sync throw",
      "async reject",
    ]);
  });

  it("records a hook that outlives its timeout as timed out, aborts its signal, and continues", async () => {
    const clock = new ManualClock(0);
    const logger = createMemoryLogger();
    let stuckSignal: AbortSignal | undefined;
    let releaseStuck: () => void = () => undefined;
    const ran: string[] = [];
    const sequence = new ShutdownSequence({ logger, clock })
      .add(
        "drain scheduler",
        (signal) => {
          stuckSignal = signal;
          return new Promise<void>((resolve) => {
            releaseStuck = resolve;
          });
        },
        { timeoutMs: 5_000 },
      )
      .add(
        "flush audit",
        async () => {
          ran.push("flush audit");
          await clock.sleep(300);
        },
        { timeoutMs: 1_000 },
      );
    const running = sequence.run("SIGINT");
    await clock.advanceAsync(4_999);
    expect(ran).toEqual([]);
    await clock.advanceAsync(1);
    expect(stuckSignal?.aborted).toBe(true);
    expect(stuckSignal?.reason).toMatchObject({ code: "TIMED_OUT" });
    expect(ran).toEqual(["flush audit"]);
    await clock.advanceAsync(300);
    const report = await running;
    expect(report.steps).toEqual([
      {
        name: "drain scheduler",
        status: "timed-out",
        durationMs: 5_000,
        timeoutMs: 5_000,
        error: { code: "TIMED_OUT", message: 'shutdown step "drain scheduler" timed out after 5000 ms' },
      },
      { name: "flush audit", status: "ok", durationMs: 300, timeoutMs: 1_000 },
    ]);
    expect(report.durationMs).toBe(5_300);
    let joined = false;
    const settled = sequence.settled().then(() => {
      joined = true;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(joined).toBe(false);
    expect(logger.find("warn", "finished after its timeout")).toEqual([]);
    releaseStuck();
    await settled;
    expect(logger.find("warn", "finished after its timeout")[0]?.fields).toMatchObject({
      step: "drain scheduler",
      status: "ok",
    });
  });

  it("settled() joins a timed-out step that fails late, once its end is logged", async () => {
    const clock = new ManualClock(0);
    const logger = createMemoryLogger();
    let failStuck: (error: Error) => void = () => undefined;
    const sequence = new ShutdownSequence({ logger, clock }).add(
      "flush git",
      () =>
        new Promise<void>((_resolve, reject) => {
          failStuck = reject;
        }),
      { timeoutMs: 100 },
    );
    const running = sequence.run("stop");
    await clock.advanceAsync(100);
    expect((await running).steps[0]?.status).toBe("timed-out");
    failStuck(new Error("git lock held"));
    await sequence.settled();
    expect(logger.find("warn", "finished after its timeout")[0]?.fields).toMatchObject({
      step: "flush git",
      status: "failed",
      error: { code: "DAEMON_SHUTDOWN_STEP_FAILED" },
    });
  });

  it("settled({ timeoutMs }) joins a late step that ends within the bound, and gives up on one that does not", async () => {
    const clock = new ManualClock(0);
    const logger = createMemoryLogger();
    let releaseGit: () => void = () => undefined;
    const sequence = new ShutdownSequence({ logger, clock })
      .add(
        "flush git",
        () =>
          new Promise<void>((resolve) => {
            releaseGit = resolve;
          }),
        { timeoutMs: 100 },
      )
      .add("close databases", () => new Promise<void>(() => undefined), { timeoutMs: 100 });
    const running = sequence.run("SIGTERM");
    await clock.advanceAsync(200);
    expect((await running).steps.map((step) => step.status)).toEqual(["timed-out", "timed-out"]);

    let stillRunning: readonly string[] | undefined;
    const joined = sequence.settled({ timeoutMs: 1_000 }).then((names) => {
      stillRunning = names;
    });
    await clock.advanceAsync(500);
    releaseGit();
    await clock.advanceAsync(499);
    expect(stillRunning).toBeUndefined();
    expect(logger.find("warn", "finished after its timeout")[0]?.fields).toMatchObject({ step: "flush git" });
    await clock.advanceAsync(1);
    expect(stillRunning).toEqual(["close databases"]);
    await joined;
    expect(clock.pendingTimers).toBe(0);
  });

  it("settled({ timeoutMs }) resolves as soon as the late steps end, and refuses a bad bound", async () => {
    const clock = new ManualClock(0);
    let release: () => void = () => undefined;
    const sequence = new ShutdownSequence({ logger: createMemoryLogger(), clock }).add(
      "flush audit",
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      { timeoutMs: 100 },
    );
    const running = sequence.run();
    await clock.advanceAsync(100);
    await running;
    const joined = sequence.settled({ timeoutMs: 60_000 });
    release();
    expect(await joined).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    await expect(sequence.settled({ timeoutMs: 0 })).rejects.toMatchObject({ code: "DAEMON_OPTIONS_INVALID" });
  });

  it("settled() before any run and after a run without late steps resolves at once", async () => {
    const sequence = new ShutdownSequence({ logger: createMemoryLogger(), clock: new ManualClock(0) }).add(
      "stop intake",
      () => undefined,
    );
    await sequence.settled();
    await sequence.run();
    await sequence.settled();
  });

  it("runs once: a second run returns the same report without running hooks again", async () => {
    let runs = 0;
    const sequence = new ShutdownSequence({ logger: createMemoryLogger(), clock: new ManualClock(0) }).add(
      "count",
      () => {
        runs += 1;
      },
    );
    const first = sequence.run("SIGTERM");
    const second = sequence.run("SIGINT");
    expect(second).toBe(first);
    expect((await second).reason).toBe("SIGTERM");
    expect(runs).toBe(1);
  });

  it("refuses duplicate names, empty names, bad timeouts and hooks added after the start", async () => {
    const sequence = new ShutdownSequence({ logger: createMemoryLogger(), clock: new ManualClock(0) });
    sequence.add("a", () => undefined);
    expect(() => sequence.add("a", () => undefined)).toThrowError(
      expect.objectContaining({ code: "DAEMON_SHUTDOWN_HOOK_INVALID" }),
    );
    expect(() => sequence.add(" ", () => undefined)).toThrowError(
      expect.objectContaining({ code: "DAEMON_SHUTDOWN_HOOK_INVALID" }),
    );
    expect(() => sequence.add("b", () => undefined, { timeoutMs: 0 })).toThrowError(
      expect.objectContaining({ code: "DAEMON_OPTIONS_INVALID" }),
    );
    await sequence.run();
    expect(() => sequence.add("late", () => undefined)).toThrowError(
      expect.objectContaining({ code: "DAEMON_SHUTDOWN_HOOK_INVALID" }),
    );
  });

  it("every hook runs exactly once in order whatever mix of outcomes (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("ok", "throw", "reject", "hang", "slow"), { minLength: 1, maxLength: 8 }),
        async (kinds) => {
          const clock = new ManualClock(0);
          const sequence = new ShutdownSequence({ logger: createMemoryLogger(), clock });
          const ran: number[] = [];
          kinds.forEach((kind, index) => {
            sequence.add(
              `step ${index}`,
              async () => {
                ran.push(index);
                if (kind === "throw") throw new Error("boom");
                if (kind === "reject") await Promise.reject(new Error("nope"));
                if (kind === "hang") await new Promise<void>(() => undefined);
                if (kind === "slow") await clock.sleep(50);
              },
              { timeoutMs: 100 },
            );
          });
          const running = sequence.run();
          for (let i = 0; i < kinds.length; i++) await clock.advanceAsync(100);
          const report = await running;
          expect(ran).toEqual(kinds.map((_, index) => index));
          const expected = kinds.map((kind) =>
            kind === "ok" || kind === "slow" ? "ok" : kind === "hang" ? "timed-out" : "failed",
          );
          expect(report.steps.map((step) => step.status)).toEqual(expected);
          expect(report.ok).toBe(expected.every((status) => status === "ok"));
        },
      ),
      { numRuns: 60 },
    );
  });
});
