import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelError } from "@oxios/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertValidCategory, assertValidName } from "./names.ts";
import { StateStore } from "./state-store.ts";

const invalidNames: Array<[string, unknown]> = [
  ["empty", ""],
  ["parent reference", "../escape"],
  ["inner parent reference", "a/../../b"],
  ["bare ..", ".."],
  ["dots inside a segment", "a..b"],
  ["backslash", "a\\b"],
  ["windows traversal", "..\\..\\x"],
  ["NUL", "a\0b"],
  ["leading slash", "/abs"],
  ["trailing slash", "dir/"],
  ["double slash", "a//b"],
  ["absolute path", "/etc/passwd"],
  ["drive letter", "C:/Windows"],
  ["drive letter no slash", "c:thing"],
  ["over 255 bytes", "a".repeat(256)],
  ["over 255 bytes in UTF-8", "é".repeat(128)],
  ["segment over 200 bytes", `a/${"b".repeat(201)}`],
  ["control character", "a\nb"],
  ["hidden segment", ".git"],
  ["hidden inner segment", "a/.hidden"],
  ["single dot segment", "a/./b"],
  ["temp-file suffix", "x.tmp"],
  ["not a string", 42],
];

const validNames = ["a", "session-123", "nested/name", "a/b/c", "with space", "ünïcode", "x".repeat(200), "a.b"];

describe("state name validation", () => {
  it.each(invalidNames)("rejects a name with %s", (_label, name) => {
    expect(() => assertValidName(name)).toThrowError(expect.objectContaining({ code: "STATE_NAME_INVALID" }));
  });

  it.each(validNames)("accepts %j", (name) => {
    expect(() => assertValidName(name)).not.toThrow();
  });

  it.each([...invalidNames, ["a slash", "a/b"] as [string, unknown]])(
    "rejects a category with %s",
    (_label, category) => {
      expect(() => assertValidCategory(category)).toThrowError(expect.objectContaining({ code: "STATE_NAME_INVALID" }));
    },
  );

  it("accepts exactly 255 bytes across segments", () => {
    const name = `${"a".repeat(127)}/${"b".repeat(127)}`;
    expect(new TextEncoder().encode(name).length).toBe(255);
    expect(() => assertValidName(name)).not.toThrow();
  });
});

describe("StateStore rejects bad names before touching disk", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "oxios-names-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each(invalidNames)("every operation rejects a name with %s", async (_label, name) => {
    const store = await StateStore.open({ root });
    const before = await readdir(root, { recursive: true });
    const bad = name as string;
    const calls = [
      store.save("cat", bad, { x: 1 }),
      store.load("cat", bad),
      store.delete("cat", bad),
      store.exists("cat", bad),
      store.save(bad, "ok", { x: 1 }),
      store.list(bad),
    ];
    for (const call of calls) {
      const error = await call.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(KernelError.hasCode(error, "STATE_NAME_INVALID")).toBe(true);
    }
    await store.flush();
    expect(await readdir(root, { recursive: true })).toEqual(before);
  });
});
