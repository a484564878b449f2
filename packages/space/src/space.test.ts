import { KernelError } from "@oxios/core";
import { describe, expect, it } from "vitest";
import { SPACE_LIMITS, spaceNameKey, validateEmoji, validatePaths, validateSpaceName, validateTags } from "./space.ts";

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return KernelError.isInstance(error) ? error.code : String(error);
  }
}

describe("space input rules", () => {
  it("trims names and limits them to 64 code points", () => {
    expect(validateSpaceName("  Mars  ")).toBe("Mars");
    expect(SPACE_LIMITS.nameMaxLength).toBe(64);
    expect(codeOf(() => validateSpaceName("🚀".repeat(64)))).toBeUndefined();
    expect(codeOf(() => validateSpaceName("🚀".repeat(65)))).toBe("SPACE_NAME_INVALID");
    expect(codeOf(() => validateSpaceName(""))).toBe("SPACE_NAME_INVALID");
    expect(codeOf(() => validateSpaceName("tab\there"))).toBe("SPACE_NAME_INVALID");
  });

  it("compares names case-insensitively and after NFC normalisation", () => {
    expect(spaceNameKey("Café")).toBe(spaceNameKey("CAFE\u0301"));
    expect(spaceNameKey(" Oxios ")).toBe("oxios");
  });

  it("normalises paths and tags, and rejects what cannot be stored", () => {
    expect(validatePaths(["/a/b/", "/a//b", "~/x/./y"])).toEqual(["/a/b", "~/x/y"]);
    expect(codeOf(() => validatePaths(["a/b"]))).toBe("SPACE_INPUT_INVALID");
    expect(codeOf(() => validatePaths(["~/.."]))).toBe("SPACE_INPUT_INVALID");
    expect(codeOf(() => validatePaths("/a"))).toBe("SPACE_INPUT_INVALID");
    expect(validateTags(["#Rust", "rust", " web-dev "])).toEqual(["rust", "web-dev"]);
    expect(codeOf(() => validateTags([""]))).toBe("SPACE_INPUT_INVALID");
    expect(codeOf(() => validateTags(["a b"]))).toBe("SPACE_INPUT_INVALID");
    expect(validateEmoji(" 👩‍👩‍👧‍👦 ")).toBe("👩‍👩‍👧‍👦");
    expect(codeOf(() => validateEmoji("a b"))).toBe("SPACE_INPUT_INVALID");
  });
});
