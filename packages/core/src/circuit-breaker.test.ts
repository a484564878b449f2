import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CircuitBreakerOptions, CircuitBreaker as CoreCircuitBreaker } from "./circuit-breaker.ts";
import { KernelError } from "./errors.ts";
import { ManualClock } from "./testing/manual-clock.ts";

/** The breaker as a provider uses it: its open error is PROVIDER_CIRCUIT_OPEN. */
class CircuitBreaker extends CoreCircuitBreaker {
  constructor(options: CircuitBreakerOptions) {
    super({ openErrorCode: "PROVIDER_CIRCUIT_OPEN", ...options });
  }
}

const fail = async (): Promise<never> => {
  throw new Error("provider down");
};

async function failTimes(breaker: CircuitBreaker, times: number): Promise<void> {
  for (let index = 0; index < times; index++) await expect(breaker.run(fail)).rejects.toThrow("provider down");
}

describe("CircuitBreaker", () => {
  it("opens after 5 consecutive failures and then fails fast without calling", async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, name: "openai" });
    await failTimes(breaker, 4);
    expect(breaker.state).toBe("closed");
    await failTimes(breaker, 1);
    expect(breaker.state).toBe("open");
    let called = 0;
    const error = await breaker.run(async () => ++called).catch((caught: unknown) => caught);
    expect(KernelError.hasCode(error, "PROVIDER_CIRCUIT_OPEN")).toBe(true);
    expect(called).toBe(0);
  });

  it("a success resets the consecutive count", async () => {
    const breaker = new CircuitBreaker({ clock: new ManualClock(0) });
    await failTimes(breaker, 4);
    await breaker.run(async () => "ok");
    await failTimes(breaker, 4);
    expect(breaker.state).toBe("closed");
  });

  it("stays open for 30 s on the clock, then lets exactly one probe through", async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock });
    await failTimes(breaker, 5);
    clock.advance(29_999);
    await expect(breaker.run(async () => "early")).rejects.toMatchObject({ code: "PROVIDER_CIRCUIT_OPEN" });
    clock.advance(1);
    expect(breaker.state).toBe("half-open");
    let release!: (value: string) => void;
    const probe = breaker.run(() => new Promise<string>((resolve) => (release = resolve)));
    await expect(breaker.run(async () => "second")).rejects.toMatchObject({ code: "PROVIDER_CIRCUIT_OPEN" });
    release("probe ok");
    await expect(probe).resolves.toBe("probe ok");
    expect(breaker.state).toBe("closed");
    await expect(breaker.run(async () => "after")).resolves.toBe("after");
  });

  it("a failed probe opens the circuit for another 30 s", async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock });
    await failTimes(breaker, 5);
    clock.advance(30_000);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe("open");
    clock.advance(29_000);
    await expect(breaker.run(async () => 1)).rejects.toMatchObject({ code: "PROVIDER_CIRCUIT_OPEN" });
    clock.advance(1_000);
    await expect(breaker.run(async () => 1)).resolves.toBe(1);
  });

  it("errors the caller marks as not the provider's fault do not count", async () => {
    const breaker = new CircuitBreaker({ clock: new ManualClock(0) });
    for (let index = 0; index < 10; index++) {
      await expect(breaker.run(fail, () => false)).rejects.toThrow();
    }
    expect(breaker.state).toBe("closed");
  });

  it("never lets more than one probe run at once, whatever the interleaving (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), async (outcomes) => {
        const clock = new ManualClock(0);
        const breaker = new CircuitBreaker({ clock });
        await failTimes(breaker, 5);
        clock.advance(30_000);
        let running = 0;
        let maxRunning = 0;
        const releases: Array<() => void> = [];
        const calls = outcomes.map((succeed) =>
          breaker
            .run(async () => {
              running++;
              maxRunning = Math.max(maxRunning, running);
              await new Promise<void>((resolve) => releases.push(resolve));
              running--;
              if (!succeed) throw new Error("probe failed");
            })
            .then(
              () => "ok",
              (error: unknown) => (KernelError.hasCode(error, "PROVIDER_CIRCUIT_OPEN") ? "fast-fail" : "failed"),
            ),
        );
        for (const release of releases) release();
        const results = await Promise.all(calls);
        expect(maxRunning).toBe(1);
        expect(results.filter((result) => result !== "fast-fail")).toHaveLength(1);
      }),
      { numRuns: 50 },
    );
  });

  it("a throwing isFailure during a probe counts as a failure and never leaves the probe stuck", async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, openMs: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(1_000);
    expect(breaker.state).toBe("half-open");
    const classifierBug = new Error("classifier broke");
    const throwing = (): boolean => {
      throw classifierBug;
    };
    await expect(breaker.run(fail, throwing)).rejects.toBe(classifierBug);
    expect(breaker.state).toBe("open");
    expect(breaker.consecutiveFailures).toBe(2);
    clock.advance(1_000);
    await expect(breaker.run(async () => "recovered")).resolves.toBe("recovered");
    expect(breaker.state).toBe("closed");
  });

  it("the step protocol: a probe without a verdict is released for the next caller", () => {
    const clock = new ManualClock(0);
    const breaker = new CoreCircuitBreaker({ clock, failureThreshold: 1, openMs: 100, name: "agent-x" });
    expect(breaker.tryAcquire()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe("open");
    expect(breaker.retryAt).toBe(100);
    expect(breaker.openError()).toMatchObject({
      code: "CIRCUIT_OPEN",
      details: { circuit: "agent-x", retryInMs: 100 },
    });
    clock.advance(100);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.release();
    expect(breaker.tryAcquire()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe("closed");
    expect(() => new CoreCircuitBreaker({ clock, failureThreshold: 0 })).toThrowError(
      expect.objectContaining({ code: "CIRCUIT_INVALID" }),
    );
  });
});
