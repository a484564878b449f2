import { describe, expect, it } from "vitest";
import { truncateChars } from "./text.ts";

describe("truncateChars", () => {
  it("cuts by characters, never inside a multi-byte or astral character", () => {
    const text = "héllo 🌍🌍🌍 wörld";
    const cut = truncateChars(text, 8);
    expect(Array.from(cut)).toHaveLength(8);
    expect(cut).toBe("héllo 🌍…");
    expect(encodeURIComponent(cut)).toBe(encodeURIComponent("héllo 🌍…")); // throws on a lone surrogate
  });

  it("leaves short text alone and handles zero", () => {
    expect(truncateChars("abc", 3)).toBe("abc");
    expect(truncateChars("abc", 0)).toBe("");
  });
});
