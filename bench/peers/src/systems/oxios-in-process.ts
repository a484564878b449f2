/**
 * Oxios in-process: `runtime.runGoal` on a kernel booted in this process with the kernel's own
 * wiring, as the `bench` profile (one tool per request) or, with `allTools`, without a profile.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, systemClock } from "@oxios/core";
import { ShutdownSequence } from "@oxios/daemon";
import { loadConfig } from "@oxios/kernel/src/config.ts";
import { bootKernel } from "@oxios/kernel/src/kernel.ts";
import "../oxios-kernel-preload.ts";
import { ownCpuMs, ownRssMb, PROMPT, type System } from "../workload.ts";
import { BENCH_PROFILE, kernelEnvironment, writeKernelConfig } from "./oxios-environment.ts";

export async function createOxiosInProcess(baseUrl: string, allTools = false): Promise<System> {
  const home = mkdtempSync(join(tmpdir(), "oxios-peers-"));
  writeKernelConfig(home);
  const logger = createLogger({ level: "error", write: () => undefined });
  const shutdown = new ShutdownSequence({ logger });
  const kernel = await bootKernel(
    { config: loadConfig({ ...kernelEnvironment(baseUrl), OXIOS_HOME: home }), logger, clock: systemClock },
    shutdown,
  );
  return {
    async run() {
      const record = await kernel.runtime.runGoal({ goal: PROMPT, ...(allTools ? {} : { agent: BENCH_PROFILE }) })
        .result;
      if (record.status !== "completed") {
        throw new Error(`oxios: run ${record.status}: ${JSON.stringify(record.error ?? record.finishReason)}`);
      }
    },
    cpuMs: ownCpuMs,
    rssMb: ownRssMb,
    async close() {
      await shutdown.run("bench done");
    },
  };
}
