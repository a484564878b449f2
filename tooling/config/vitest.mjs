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
      // machine under load that count can take several times its quiet duration.
      testTimeout: options.testTimeout ?? 60_000,
      hookTimeout: 60_000,
      // expect.poll waits for an event; its 1 s default is a wall-clock window a loaded machine
      // can miss. The test's own timeout is the real bound.
      expect: { poll: { timeout: 15_000 } },
      pool: "forks",
      reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
    },
  });
}
