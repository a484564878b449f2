// Shared vitest preset. Workspace packages resolve to their TypeScript sources through the
// "@oxios/source" export condition, so tests never depend on a prior build.
import { defineConfig } from "vitest/config";

/** @param {{ testTimeout?: number, include?: string[] }} [options] */
export function oxiosVitest(options = {}) {
  return defineConfig({
    resolve: { conditions: ["@oxios/source"] },
    ssr: { resolve: { conditions: ["@oxios/source"] } },
    test: {
      include: options.include ?? ["src/**/*.test.ts", "test/**/*.test.ts"],
      // A timeout only guards against a hang: tests wait for events, never for time. Stress and
      // race tests are bound by a count (2,000 reads, 10 rounds), and on a shared two-core
      // machine under heavy load (a load average of 30 has been seen) that count takes ten
      // times its quiet duration.
      testTimeout: options.testTimeout ?? 180_000,
      hookTimeout: 180_000,
      // expect.poll waits for an event; its 1 s default is a wall-clock window a loaded machine
      // can miss. The test's own timeout is the real bound.
      expect: { poll: { timeout: 60_000 } },
      pool: "forks",
      reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
    },
  });
}
