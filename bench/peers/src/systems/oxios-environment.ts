/**
 * The kernel configuration both Oxios systems run with: the fake model, rate limits out of the
 * way, and a concurrency cap of 256 (the issue's burst goal; the peers have no cap at all) unless
 * `OXIOS_MAX_CONCURRENT` says otherwise.
 *
 * Runs use the agent profile `bench`, whose tool list allows only the workload's `add` tool, so
 * each model request carries the same one tool as the peers' requests. The `-all-tools` systems
 * run without a profile: every built-in tool the default template grants rides along.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** The profile the Oxios systems run as, unless they run with all tools. */
export const BENCH_PROFILE = "bench";

export function kernelEnvironment(baseUrl: string): Record<string, string> {
  return {
    OXIOS_MODEL: "openai-compatible/fake",
    OXIOS_LLM_BASE_URL: baseUrl,
    OXIOS_EMBEDDER: "hashing",
    OXIOS_RATE_PER_MIN: "1000000",
    OXIOS_HTTP_RATE_PER_MIN: "1000000",
    OXIOS_MAX_CONCURRENT: process.env.OXIOS_MAX_CONCURRENT ?? "256",
  };
}

/** Writes `$OXIOS_HOME/config.toml` with the `bench` profile (no other key: the environment has them). */
export function writeKernelConfig(home: string): void {
  writeFileSync(
    join(home, "config.toml"),
    `[agents.${BENCH_PROFILE}]\ndescription = "The workload's agent: one add tool"\ntools = { allow = ["add"] }\n`,
  );
}
