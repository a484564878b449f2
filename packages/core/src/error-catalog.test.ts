import { describe, expect, it } from "vitest";
import { declaredErrorCodes, defineErrorCodes, ERROR_KINDS, errorCodeInfo, errorKindOf } from "./error-catalog.ts";
import { CoreErrorCode } from "./error-codes.ts";

describe("defineErrorCodes", () => {
  it("returns a frozen record from each key to its code and records kind, description and owner", () => {
    const codes = defineErrorCodes("@test/one", {
      widgetMissing: { code: "CATALOG_WIDGET_MISSING", kind: "not-found", description: "No widget." },
      widgetBent: { code: "CATALOG_WIDGET_BENT", kind: "invalid", description: "A bent widget." },
    });
    expect(codes).toEqual({ widgetMissing: "CATALOG_WIDGET_MISSING", widgetBent: "CATALOG_WIDGET_BENT" });
    expect(Object.isFrozen(codes)).toBe(true);
    expect(errorCodeInfo("CATALOG_WIDGET_MISSING")).toEqual({
      code: "CATALOG_WIDGET_MISSING",
      kind: "not-found",
      description: "No widget.",
      owner: "@test/one",
    });
    expect(errorKindOf(codes.widgetBent)).toBe("invalid");
  });

  it("gives an undeclared code the kind internal", () => {
    expect(errorCodeInfo("CATALOG_NEVER_DECLARED")).toBeUndefined();
    expect(errorKindOf("CATALOG_NEVER_DECLARED")).toBe("internal");
  });

  it("keeps a clashing declaration visible but looks up the first", () => {
    defineErrorCodes("@test/first", { clash: { code: "CATALOG_CLASH", kind: "conflict", description: "First." } });
    defineErrorCodes("@test/second", { clash: { code: "CATALOG_CLASH", kind: "invalid", description: "Second." } });
    expect(errorKindOf("CATALOG_CLASH")).toBe("conflict");
    const clashes = declaredErrorCodes().filter((declared) => declared.code === "CATALOG_CLASH");
    expect(clashes.map((declared) => declared.owner)).toEqual(["@test/first", "@test/second"]);
  });

  it("ignores the same declaration made again by a second copy of the same package", () => {
    const spec = { again: { code: "CATALOG_AGAIN", kind: "timeout", description: "Again." } } as const;
    defineErrorCodes("@test/copied", spec);
    defineErrorCodes("@test/copied", spec);
    expect(declaredErrorCodes().filter((declared) => declared.code === "CATALOG_AGAIN")).toHaveLength(1);
  });

  it("finds codes declared through a second copy of this module", async () => {
    const secondCopy = "./error-catalog.ts?second-copy";
    const copy = (await import(/* @vite-ignore */ secondCopy)) as typeof import("./error-catalog.ts");
    expect(copy.defineErrorCodes).not.toBe(defineErrorCodes);
    copy.defineErrorCodes("@test/copy", { far: { code: "CATALOG_FAR", kind: "denied", description: "Far." } });
    expect(errorKindOf("CATALOG_FAR")).toBe("denied");
  });

  it("declares core's own codes, each with a known kind", () => {
    const core = declaredErrorCodes().filter((declared) => declared.owner === "@oxios/core");
    expect(core.map((declared) => declared.code).sort()).toEqual(Object.values(CoreErrorCode).sort());
    for (const declared of core) expect(Object.keys(ERROR_KINDS)).toContain(declared.kind);
  });
});
