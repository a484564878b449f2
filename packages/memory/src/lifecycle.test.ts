import { describe, expect, it } from "vitest";
import { decayScore, isPrunable, MEMORY_TYPES, PROTECTION_LEVELS } from "./lifecycle.ts";

const HOUR = 3_600_000;
const base = { decayRate: 0.01, importance: 0.5, protection: "none" as const, accessCount: 0, accessedAt: 0 };

describe("decay", () => {
  it("matches hand-computed values", () => {
    // rate 0.01 × (1.5 − 0.5) × 1 / (1 + ln 1) × 10 h = 0.1 → e^−0.1
    expect(decayScore(base, 10 * HOUR)).toBeCloseTo(0.904837418, 8);
    // 3 accesses: divisor 1 + ln 4 = 2.386294361; exponent 0.1 / 2.386294361 = 0.041905818
    expect(decayScore({ ...base, accessCount: 3 }, 10 * HOUR)).toBeCloseTo(0.95896, 6);
    // importance 0.9, protection low: 0.01 × 0.6 × 0.5 × 100 h = 0.3 → e^−0.3
    expect(decayScore({ ...base, importance: 0.9, protection: "low" }, 100 * HOUR)).toBeCloseTo(0.740818221, 8);
    // conversation type, 48 h untouched: 0.06 × (1.5 − 0.35) × 48 = 3.312 → 0.036443
    const conversation = MEMORY_TYPES.conversation;
    expect(
      decayScore({ ...base, decayRate: conversation.decayRate, importance: conversation.importance }, 48 * HOUR),
    ).toBeCloseTo(0.036443, 5);
  });

  it("never decays permanent memories and is 1 at access time", () => {
    expect(decayScore({ ...base, protection: "permanent" }, 10_000 * HOUR)).toBe(1);
    expect(decayScore(base, 0)).toBe(1);
    expect(PROTECTION_LEVELS).toEqual({ none: 1, low: 0.5, medium: 0.2, high: 0.05, permanent: 0 });
  });

  it("prunes only unpinned, weakly protected, non-profile memories below 0.05", () => {
    const old = { ...base, decayRate: 0.06, importance: 0.35, pinned: false, type: "conversation" as const };
    const later = 100 * HOUR; // exponent 0.06 × 1.15 × 100 = 6.9 → 0.001
    expect(isPrunable(old, later)).toBe(true);
    expect(isPrunable({ ...old, pinned: true }, later)).toBe(false);
    expect(isPrunable({ ...old, protection: "medium" }, later)).toBe(false);
    expect(isPrunable({ ...old, type: "preference" }, later)).toBe(false);
    expect(isPrunable({ ...old, type: "user_profile" }, later)).toBe(false);
    expect(isPrunable(old, 10 * HOUR)).toBe(false); // 0.5016 left
  });

  it("every type has base importance within 0.35–0.95 and decay rate within 0.001–0.060", () => {
    expect(Object.keys(MEMORY_TYPES)).toHaveLength(9);
    for (const { importance, decayRate } of Object.values(MEMORY_TYPES)) {
      expect(importance).toBeGreaterThanOrEqual(0.35);
      expect(importance).toBeLessThanOrEqual(0.95);
      expect(decayRate).toBeGreaterThanOrEqual(0.001);
      expect(decayRate).toBeLessThanOrEqual(0.06);
    }
  });
});
