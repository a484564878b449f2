import { describe, expect, it } from "vitest";
import { estimateTokens } from "./index.ts";

describe("estimateTokens", () => {
  it("counts four code points a token, rounded up", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcd")).toBe(1);
    expect(estimateTokens("abcde")).toBe(2);
  });

  it("counts a character outside the BMP once, not as its two UTF-16 units", () => {
    const emoji = "😀".repeat(4);
    expect(emoji.length).toBe(8);
    expect(estimateTokens(emoji)).toBe(1);
  });
});
