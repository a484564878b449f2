import { describe, expect, it } from "vitest";
import { KernelError } from "./errors.ts";
import { abortError, anySignal, throwIfAborted, timeoutSignal } from "./signals.ts";
import { ManualClock } from "./testing/manual-clock.ts";

describe("signals", () => {
  it("throwIfAborted maps plain reasons to ABORTED and keeps kernel reasons", () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    controller.abort("user pressed stop");
    expect(() => throwIfAborted(controller.signal)).toThrowError(expect.objectContaining({ code: "ABORTED" }));
    const timed = new AbortController();
    timed.abort(new KernelError("TIMED_OUT", "slow"));
    expect(abortError(timed.signal).code).toBe("TIMED_OUT");
  });

  it("timeoutSignal aborts with TIMED_OUT exactly at the deadline on the injected clock", () => {
    const clock = new ManualClock();
    const { signal } = timeoutSignal(clock, 1000);
    clock.advance(999);
    expect(signal.aborted).toBe(false);
    clock.advance(1);
    expect(signal.aborted).toBe(true);
    expect(abortError(signal).code).toBe("TIMED_OUT");
  });

  it("timeoutSignal cancel stops the timer", () => {
    const clock = new ManualClock();
    const timeout = timeoutSignal(clock, 10);
    timeout.cancel();
    clock.advance(100);
    expect(timeout.signal.aborted).toBe(false);
  });

  it("anySignal aborts with the first reason", () => {
    const a = new AbortController();
    const b = new AbortController();
    const combined = anySignal([a.signal, undefined, b.signal]);
    b.abort(new KernelError("TIMED_OUT", "b"));
    expect(combined.aborted).toBe(true);
    expect(abortError(combined).code).toBe("TIMED_OUT");
  });
});
