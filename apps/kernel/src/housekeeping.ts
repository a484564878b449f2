/**
 * The kernel's recurring upkeep, owned and stopped at shutdown:
 * - memory consolidation (the dream) on its preset schedule;
 * - pruning of state that grows with use: the run journal (`runs`, newest 1,000 within 30 days)
 *   and interview sessions (`interviews`, 168 h / 100, the state store's session defaults),
 *   once at boot and then hourly on the Clock.
 */

import { type Clock, KernelError, type Logger, type Timer } from "@oxios/core";
import type { MemoryStore } from "@oxios/memory";
import type { StateStore } from "@oxios/state-store";

export interface HousekeepingOptions {
  clock: Clock;
  logger: Logger;
  state: StateStore;
  memory: MemoryStore;
  /** Default hourly. */
  intervalMs?: number;
  /** Run journal entries kept. Default 1,000. */
  maxRuns?: number;
  /** Dream preset; `off` disables the schedule. Default `daily`. */
  dream?: "frequent" | "daily" | "relaxed" | "off";
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class Housekeeping {
  readonly #options: HousekeepingOptions;
  #timer: Timer | undefined;
  #pruning: Promise<void> | undefined;
  #dreams: { stop(): Promise<unknown> } | undefined;
  #stopped = false;

  constructor(options: HousekeepingOptions) {
    this.#options = options;
  }

  /** Prunes once, then schedules the next rounds and the dream. */
  async start(): Promise<void> {
    await this.pruneNow();
    const preset = this.#options.dream ?? "daily";
    if (preset !== "off") this.#dreams = this.#options.memory.startDreaming({ preset });
    this.#schedule();
  }

  /** One pruning round; failures are logged with their reason and retried next round. */
  async pruneNow(): Promise<void> {
    const { state, logger } = this.#options;
    for (const [category, options] of [
      ["runs", { ttlMs: 30 * DAY_MS, maxEntries: this.#options.maxRuns ?? 1_000 }],
      ["interviews", {}],
    ] as const) {
      try {
        const { removed } = await state.pruneSessions({ category, ...options });
        if (removed.length > 0) logger.info("pruned state", { category, removed: removed.length });
      } catch (error) {
        logger.warn("pruning state failed; it is tried again next round", {
          category,
          error: KernelError.from(error).toJSON(),
        });
      }
    }
  }

  /** Cancels the next round, joins a running one, and stops the dream schedule. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.#pruning;
    await this.#dreams?.stop();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#options.clock.setTimer(
      () => {
        this.#pruning = this.pruneNow().finally(() => {
          this.#pruning = undefined;
          this.#schedule();
        });
      },
      this.#options.intervalMs ?? 60 * 60 * 1000,
    );
  }
}
