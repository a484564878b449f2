import { CircuitBreaker, KernelError } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { describe, expect, it } from "vitest";
import { callProvider } from "./provider-call.ts";

/** A model call that waits until its signal aborts, then fails as the AI SDK does. */
function stoppedCall(signal: AbortSignal): () => Promise<never> {
  return () =>
    new Promise<never>((_, reject) => {
      signal.addEventListener("abort", () => reject(new DOMException("This operation was aborted", "AbortError")), {
        once: true,
      });
    });
}

describe("callProvider", () => {
  it("a call its caller stopped does not count against the provider's breaker, whatever the stop's reason", async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 2, name: "fake" });
    const reasons = [
      new KernelError("TASK_INTERRUPTED", "the run's lease went to another node"),
      new KernelError("ABORTED", "cancelled"),
      new Error("shutdown"),
    ];
    for (const reason of reasons) {
      const controller = new AbortController();
      const call = callProvider(stoppedCall(controller.signal), {
        provider: "fake",
        breaker,
        clock,
        signal: controller.signal,
        retry: { maxRetries: 0 },
      });
      controller.abort(reason);
      await expect(call).rejects.toBeInstanceOf(KernelError);
    }
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.state).toBe("closed");
    // A failure of the provider itself still counts.
    const failing = callProvider(() => Promise.reject(new Error("bad request body")), {
      provider: "fake",
      breaker,
      clock,
      retry: { maxRetries: 0 },
    });
    await expect(failing).rejects.toMatchObject({ code: "PROVIDER_FAILED" });
    expect(breaker.consecutiveFailures).toBe(1);
  });
});
