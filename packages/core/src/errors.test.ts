import { describe, expect, it } from "vitest";
import { defineErrorCodes } from "./error-catalog.ts";
import { CoreErrorCode } from "./error-codes.ts";
import { KernelError } from "./errors.ts";

describe("KernelError", () => {
  it("carries a stable code, details and cause", () => {
    const cause = new Error("disk full");
    const error = new KernelError("STATE_WRITE_FAILED", "could not write", { cause, details: { key: "a" } });
    expect(error.code).toBe("STATE_WRITE_FAILED");
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ key: "a" });
    expect(error).toBeInstanceOf(Error);
    expect(error.toJSON()).toEqual({ code: "STATE_WRITE_FAILED", message: "could not write", details: { key: "a" } });
  });

  it("isInstance recognises an error made by a second copy of the package", async () => {
    const secondCopy = "./errors.ts?second-copy";
    const copy = (await import(/* @vite-ignore */ secondCopy)) as typeof import("./errors.ts");
    expect(copy.KernelError).not.toBe(KernelError);
    const foreign = new copy.KernelError("ABORTED", "stopped");
    expect(foreign instanceof KernelError).toBe(false);
    expect(KernelError.isInstance(foreign)).toBe(true);
    expect(KernelError.hasCode(foreign, "ABORTED")).toBe(true);
  });

  it("carries the kind its code was declared with, and internal for an undeclared code", () => {
    const codes = defineErrorCodes("@test/errors", {
      gone: { code: "ERRORS_TEST_GONE", kind: "not-found", description: "Gone." },
    });
    expect(new KernelError(codes.gone, "gone").kind).toBe("not-found");
    expect(new KernelError(CoreErrorCode.aborted, "stopped").kind).toBe("aborted");
    expect(new KernelError(CoreErrorCode.timedOut, "late").kind).toBe("timeout");
    expect(new KernelError("ERRORS_TEST_UNDECLARED", "?").kind).toBe("internal");
    expect(KernelError.from(new TypeError("bad")).kind).toBe("internal");
  });

  it("a second copy of the package finds the kinds declared through the first", async () => {
    const secondCopy = "./errors.ts?kind-copy";
    const copy = (await import(/* @vite-ignore */ secondCopy)) as typeof import("./errors.ts");
    expect(new copy.KernelError(CoreErrorCode.circuitOpen, "open").kind).toBe("unavailable");
  });

  it("isInstance rejects look-alikes", () => {
    expect(KernelError.isInstance(new Error("x"))).toBe(false);
    expect(KernelError.isInstance({ code: "ABORTED", message: "x" })).toBe(false);
    expect(KernelError.isInstance(null)).toBe(false);
    expect(KernelError.isInstance("ABORTED")).toBe(false);
  });

  it("from() wraps foreign errors and passes kernel errors through", () => {
    const original = new KernelError("X", "x");
    expect(KernelError.from(original)).toBe(original);
    const wrapped = KernelError.from(new TypeError("bad"), "TOOL_FAILED");
    expect(wrapped.code).toBe("TOOL_FAILED");
    expect(wrapped.message).toBe("bad");
    expect(wrapped.cause).toBeInstanceOf(TypeError);
  });
});
