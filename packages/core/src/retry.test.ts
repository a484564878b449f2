import { describe, expect, it } from "vitest";
import { KernelError } from "./errors.ts";
import { backoffDelay, withRetry } from "./retry.ts";
import { ManualClock, settle } from "./testing/manual-clock.ts";

const defaults = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 5_000 };

describe("withRetry", () => {
  it("backs off base·2ⁿ capped at the maximum", () => {
    expect([0, 1, 2, 6, 7].map((retry) => backoffDelay(retry, defaults))).toEqual([100, 200, 400, 5_000, 5_000]);
  });

  it("retries on the clock and returns the first success", async () => {
    const clock = new ManualClock(0);
    const delays: number[] = [];
    let attempts = 0;
    const result = withRetry(
      async () => {
        attempts += 1;
        if (attempts < 3) throw new Error("flaky");
        return "ok";
      },
      { clock, defaults, shouldRetry: () => true, onRetry: (_error, _retry, delayMs) => delays.push(delayMs) },
    );
    await settle();
    await clock.advanceAsync(100);
    await clock.advanceAsync(200);
    await expect(result).resolves.toBe("ok");
    expect(delays).toEqual([100, 200]);
  });

  it("stops when shouldRetry says no, when retries run out, and when the signal aborts", async () => {
    const clock = new ManualClock(0);
    await expect(
      withRetry(
        async () => {
          throw new KernelError("BAD", "no");
        },
        { clock, defaults, shouldRetry: () => false },
      ),
    ).rejects.toMatchObject({ code: "BAD" });
    let attempts = 0;
    await expect(
      withRetry(
        async () => {
          attempts += 1;
          throw new Error("down");
        },
        { clock, defaults, policy: { maxRetries: 0 }, shouldRetry: () => true },
      ),
    ).rejects.toThrow("down");
    expect(attempts).toBe(1);
    const controller = new AbortController();
    const waiting = withRetry(
      async () => {
        throw new Error("down");
      },
      { clock, defaults, signal: controller.signal, shouldRetry: () => true },
    );
    await settle();
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "ABORTED" });
  });
});
