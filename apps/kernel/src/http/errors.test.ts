import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { declaredErrorCodes, ERROR_KINDS, KernelError, systemClock } from "@oxios/core";
import { createMemoryLogger } from "@oxios/core/testing";
import { describe, expect, it } from "vitest";
import { errorCatalog } from "../error-catalog.ts";
import type { Kernel } from "../kernel.ts";
import { createApi } from "./app.ts";
import { STATUS_BY_KIND } from "./errors.ts";
import { StreamRegistry } from "./stream-registry.ts";

const root = resolve(import.meta.dirname, "..", "..", "..", "..");

/** The API with one extra route that throws a KernelError with the code in its path. */
function throwingApi() {
  const logger = createMemoryLogger();
  // Only the error path runs: no handler touches the kernel beyond its logger and rate setting.
  const kernel = { config: { httpRatePerMinute: 1 }, clock: systemClock, logger } as unknown as Kernel;
  const app = createApi({ kernel, token: "errors-test-token", streams: new StreamRegistry() });
  app.get("/throw/:code", (c) => {
    throw new KernelError(c.req.param("code"), `thrown with ${c.req.param("code")}`);
  });
  app.get("/throw-plain", () => {
    throw new TypeError("not a KernelError");
  });
  return app;
}

async function answer(path: string): Promise<{ status: number; code: string }> {
  const response = await throwingApi().request(path);
  const body = (await response.json()) as { error: { code: string } };
  return { status: response.status, code: body.error.code };
}

describe("HTTP status from the error kind", () => {
  it("gives every kind one status", () => {
    expect(Object.keys(STATUS_BY_KIND).sort()).toEqual(Object.keys(ERROR_KINDS).sort());
    expect(STATUS_BY_KIND).toEqual({
      invalid: 422,
      malformed: 400,
      unauthenticated: 401,
      denied: 403,
      "not-found": 404,
      conflict: 409,
      aborted: 409,
      "too-large": 413,
      "rate-limited": 429,
      internal: 500,
      upstream: 502,
      unavailable: 503,
      timeout: 504,
    });
  });

  it("answers every declared code of every package with the status of its kind", async () => {
    const app = throwingApi();
    const catalog = errorCatalog();
    expect(catalog.length).toBeGreaterThan(150);
    for (const declared of catalog) {
      const response = await app.request(`/throw/${declared.code}`);
      const body = (await response.json()) as { error: { code: string } };
      expect({ code: body.error.code, status: response.status }).toEqual({
        code: declared.code,
        status: STATUS_BY_KIND[declared.kind],
      });
    }
  });

  it("no longer guesses from the name: the codes the suffix table got wrong", async () => {
    expect(await answer("/throw/SPACE_ID_TAKEN")).toEqual({ status: 409, code: "SPACE_ID_TAKEN" });
    expect(await answer("/throw/SPACE_NAME_TAKEN")).toEqual({ status: 409, code: "SPACE_NAME_TAKEN" });
    expect(await answer("/throw/STATE_CLOSED")).toEqual({ status: 503, code: "STATE_CLOSED" });
    expect(await answer("/throw/MEMORY_CLOSED")).toEqual({ status: 503, code: "MEMORY_CLOSED" });
    expect(await answer("/throw/SCHEDULER_LIMIT_INVALID")).toEqual({ status: 422, code: "SCHEDULER_LIMIT_INVALID" });
    expect(await answer("/throw/PROVIDER_FAILED")).toEqual({ status: 502, code: "PROVIDER_FAILED" });
  });

  it("answers an undeclared code, and anything that is not a KernelError, with 500", async () => {
    expect(await answer("/throw/ERRORS_TEST_UNDECLARED_INVALID")).toEqual({
      status: 500,
      code: "ERRORS_TEST_UNDECLARED_INVALID",
    });
    expect(await answer("/throw-plain")).toEqual({ status: 500, code: "INTERNAL" });
  });
});

describe("the declared error codes", () => {
  it("cover every package of the workspace, and every table is in the catalogue", () => {
    const packages = readdirSync(resolve(root, "packages")).map(
      (name) =>
        (JSON.parse(readFileSync(resolve(root, "packages", name, "package.json"), "utf8")) as { name: string }).name,
    );
    const owners = new Set(errorCatalog().map((declared) => declared.owner));
    expect([...owners].sort()).toEqual([...packages, "@oxios/kernel"].sort());
    const catalogued = new Set(errorCatalog().map((declared) => declared.code));
    const loaded = declaredErrorCodes().filter((declared) => declared.owner.startsWith("@oxios/"));
    expect(loaded.filter((declared) => !catalogued.has(declared.code))).toEqual([]);
  });

  it("declare each code once, so no two packages give one code different kinds", () => {
    const codes = declaredErrorCodes().map((declared) => declared.code);
    const twice = codes.filter((code, index) => codes.indexOf(code) !== index);
    expect(twice).toEqual([]);
  });

  it("read <PACKAGE>_<THING>_<PROBLEM>, with a one-line description", () => {
    for (const declared of errorCatalog()) {
      expect(declared.code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      // The problem comes last: SCHEDULER_LIMIT_INVALID, never SCHEDULER_INVALID_LIMIT.
      expect(declared.code).not.toMatch(/^[A-Z0-9]+_(INVALID|UNKNOWN|DUPLICATE|BAD|NO|WRONG|MISSING)_/);
      expect(declared.description).toMatch(/^\S.*\.$/);
      expect(declared.description).not.toContain("\n");
    }
  });
});
