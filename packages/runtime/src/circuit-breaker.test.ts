import { KernelError } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { describe, expect, it } from "vitest";
import { CircuitBreakers } from "./circuit-breaker.ts";

describe("CircuitBreakers", () => {
  it("keeps one breaker per provider", () => {
    const breakers = new CircuitBreakers({ clock: new ManualClock(0) });
    expect(breakers.for("openai")).toBe(breakers.for("openai"));
    expect(breakers.for("openai")).not.toBe(breakers.for("anthropic"));
  });

  it("a provider's open circuit fails fast with PROVIDER_CIRCUIT_OPEN naming the provider", async () => {
    const breaker = new CircuitBreakers({ clock: new ManualClock(0), failureThreshold: 1 }).for("openai");
    await expect(
      breaker.run(async () => {
        throw new Error("down");
      }),
    ).rejects.toThrow("down");
    const error = await breaker.run(async () => 1).catch((caught: unknown) => caught);
    expect(KernelError.hasCode(error, "PROVIDER_CIRCUIT_OPEN")).toBe(true);
    expect((error as KernelError).message).toContain("openai");
  });
});
