/**
 * The kernel's recurring upkeep, owned and stopped at shutdown:
 * - memory consolidation (the dream) on its preset schedule;
 * - retention of what grows with use, once at boot and then hourly on the Clock: finished
 *   runs in the run journal (with their steps) and finished scheduler tasks, by count and age
 *   (`run_retention_count`, `run_retention_days`; queued and running ones are never touched);
 *   interview sessions (168 h / 100, the state store's session defaults); and the per-run
 *   files that versions before the run journal kept in the state store (`runs`).
 */

import { type Clock, KernelError, type Logger, type Timer } from "@oxios/core";
import type { MemoryStore } from "@oxios/memory";
import type { RunJournal } from "@oxios/runtime";
import type { StateStore } from "@oxios/state-store";

/** The task store's retention, as `LibsqlTaskStore` offers it. */
export interface PrunableTasks {
  prune(options: { finishedBefore: number; keep: number }): number;
}

export interface HousekeepingOptions {
  clock: Clock;
  logger: Logger;
  state: StateStore;
  memory: MemoryStore;
  journal: RunJournal;
  taskStore: PrunableTasks;
  /** Finished runs and tasks kept: the newest `count`, none older than `days`. Default 10,000 / 30. */
  runRetention?: { count: number; days: number };
  /** Default hourly. */
  intervalMs?: number;
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

  /** One pruning round; each part's failure is logged with its reason and retried next round. */
  async pruneNow(): Promise<void> {
    const { state, logger, journal, taskStore, clock } = this.#options;
    const retention = this.#options.runRetention ?? { count: 10_000, days: 30 };
    const limits = { finishedBefore: clock.now() - retention.days * DAY_MS, keep: retention.count };
    const parts: Array<[string, () => Promise<number>]> = [
      ["runs", () => journal.prune(limits)],
      ["scheduler tasks", async () => taskStore.prune(limits)],
      [
        "legacy run files",
        async () =>
          (await state.pruneSessions({ category: "runs", ttlMs: retention.days * DAY_MS, maxEntries: retention.count }))
            .removed.length,
      ],
      ["interviews", async () => (await state.pruneSessions({ category: "interviews" })).removed.length],
    ];
    for (const [what, prune] of parts) {
      try {
        const removed = await prune();
        if (removed > 0) logger.info("pruned", { what, removed });
      } catch (error) {
        logger.warn("pruning failed; it is tried again next round", { what, error: KernelError.from(error).toJSON() });
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
