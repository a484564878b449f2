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
});
