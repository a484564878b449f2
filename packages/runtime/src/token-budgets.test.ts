import { ManualClock } from "@oxios/core/testing";
import { describe, expect, it } from "vitest";
import { TokenBudgets } from "./token-budgets.ts";

describe("TokenBudgets", () => {
  it("is on by default and blocks admission once an agent has spent its budget", () => {
    const budgets = new TokenBudgets({ defaultLimit: 100 });
    expect(budgets.canAdmit({ agentId: "a" })).toBe(true);
    budgets.record("a", { inputTokens: 60, outputTokens: 40 });
    expect(budgets.remaining("a")).toBe(0);
    expect(budgets.canAdmit({ agentId: "a" })).toBe(false);
    expect(budgets.canAdmit({ agentId: "b" })).toBe(true);
    expect(() => budgets.ensureAvailable("a")).toThrowError(
      expect.objectContaining({ code: "RUNTIME_BUDGET_EXCEEDED" }),
    );
  });

  it("per-agent limits override the default", () => {
    const budgets = new TokenBudgets({ defaultLimit: 10 });
    budgets.setLimit("big", 1_000);
    budgets.record("big", { inputTokens: 500, outputTokens: 0 });
    expect(budgets.canAdmit({ agentId: "big" })).toBe(true);
    expect(() => budgets.setLimit("x", Number.NaN)).toThrowError(
      expect.objectContaining({ code: "RUNTIME_BUDGET_INVALID" }),
    );
  });

  it("forget drops an agent's limit and usage", () => {
    const budgets = new TokenBudgets({ defaultLimit: 10 });
    budgets.setLimit("a", 5);
    budgets.record("a", { inputTokens: 5, outputTokens: 0 });
    budgets.record("b", { inputTokens: 1, outputTokens: 0 });
    expect(budgets.tracked()).toBe(2);
    budgets.forget("a");
    expect(budgets.tracked()).toBe(1);
    expect(budgets.limit("a")).toBe(10);
    expect(budgets.remaining("a")).toBe(10);
  });

  it("a profile's window blocks every agent of the profile once spent, and opens again with the next window", () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 10, 30));
    let resets = 0;
    const budgets = new TokenBudgets({ clock, onWindowReset: () => resets++ });
    budgets.setWindowBudget("writer", { calls: 2, tokens: 1_000, window: "hour" });
    budgets.assign("a1", "writer");
    budgets.assign("a2", "writer");
    budgets.record("a1", { inputTokens: 10, outputTokens: 5 });
    expect(budgets.canAdmit({ agentId: "a2" })).toBe(true);
    budgets.record("a2", { inputTokens: 10, outputTokens: 5 });
    expect(budgets.windowUsage("writer")).toMatchObject({ calls: 2, tokens: 30, resetsAt: Date.UTC(2026, 0, 1, 11) });
    expect(budgets.canAdmit({ agentId: "a1" })).toBe(false);
    expect(budgets.canAdmit({ agentId: "other" })).toBe(true);
    expect(() => budgets.ensureAvailable("a2")).toThrowError(
      expect.objectContaining({
        code: "RUNTIME_BUDGET_EXCEEDED",
        details: expect.objectContaining({ profile: "writer", window: "hour", resetsAt: Date.UTC(2026, 0, 1, 11) }),
      }),
    );
    clock.advance(30 * 60_000 - 1);
    expect(resets).toBe(0);
    expect(budgets.canAdmit({ agentId: "a1" })).toBe(false);
    clock.advance(1);
    expect(resets).toBe(1);
    expect(budgets.canAdmit({ agentId: "a1" })).toBe(true);
    expect(budgets.windowUsage("writer")).toMatchObject({ calls: 0, tokens: 0 });
  });

  it("counts tokens against a daily window and keeps the usage when the budget is changed", () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 23));
    const budgets = new TokenBudgets({ clock });
    budgets.setWindowBudget("p", { tokens: 100, window: "day" });
    budgets.assign("a", "p");
    budgets.record("a", { inputTokens: 80, outputTokens: 20 });
    expect(budgets.canAdmit({ agentId: "a" })).toBe(false);
    budgets.setWindowBudget("p", { tokens: 200, window: "day" });
    expect(budgets.windowUsage("p")?.tokens).toBe(100);
    expect(budgets.canAdmit({ agentId: "a" })).toBe(true);
    budgets.forget("a");
    expect(budgets.tracked()).toBe(0);
    expect(() => budgets.setWindowBudget("p", { window: "day" })).toThrowError(
      expect.objectContaining({ code: "RUNTIME_BUDGET_INVALID" }),
    );
  });
});
