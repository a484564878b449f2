import { expect, it } from "vitest";

// The portability runner sets OXIOS_EXPECT_RUNTIME so this proves the test bodies really run
// inside Bun or Deno, not in a Node child process.
it("runs inside the runtime the portability runner asked for", () => {
  const global = globalThis as {
    Bun?: unknown;
    Deno?: unknown;
    process?: { env?: Record<string, string | undefined> };
  };
  const actual = global.Bun !== undefined ? "bun" : global.Deno !== undefined ? "deno" : "node";
  const expected = global.process?.env?.OXIOS_EXPECT_RUNTIME ?? "node";
  expect(actual).toBe(expected);
});
