/**
 * A kernel booted in the test's own process on the scripted model (`FakeLlmServer`) and the
 * hashing embedder, for tests that need the kernel's objects rather than a kernel process
 * (`kernel-process.ts`). `stop` runs its shutdown sequence, once however often it is called.
 */

import { type Clock, createLogger, type Logger } from "@oxios/core";
import { ShutdownSequence } from "@oxios/daemon";
import { loadConfig } from "../config.ts";
import { bootKernel, type Kernel } from "../kernel.ts";
import { tempHome } from "./kernel-process.ts";

export interface InProcessKernel {
  kernel: Kernel;
  /** Runs the kernel's shutdown sequence; the second call returns the first's promise. */
  stop(): Promise<void>;
}

export interface InProcessKernelOptions {
  /** The scripted model's base URL (`FakeLlmServer.baseUrl`). */
  modelUrl: string;
  /** Default: a fresh temporary home. */
  home?: string;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: a logger that drops everything. */
  logger?: Logger;
  /** More `OXIOS_*` settings, over the defaults above. */
  environment?: Record<string, string>;
}

export async function bootInProcessKernel(options: InProcessKernelOptions): Promise<InProcessKernel> {
  const logger = options.logger ?? createLogger({ level: "error", write: () => undefined });
  const clock = options.clock;
  const config = loadConfig({
    OXIOS_HOME: options.home ?? tempHome(),
    OXIOS_EMBEDDER: "hashing",
    OXIOS_MODEL: "openai-compatible/fake",
    OXIOS_LLM_BASE_URL: options.modelUrl,
    ...options.environment,
  });
  const withClock = clock === undefined ? {} : { clock };
  const shutdown = new ShutdownSequence({ logger, ...withClock });
  const kernel = await bootKernel({ config, logger, ...withClock }, shutdown);
  let stopped: Promise<void> | undefined;
  return {
    kernel,
    stop: () => {
      stopped ??= shutdown.run("test finished").then(() => undefined);
      return stopped;
    },
  };
}
