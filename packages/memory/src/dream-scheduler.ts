/**
 * `DreamScheduler` runs dreams at preset intervals on the injected Clock, at most one schedule
 * per store; its handle's `stop()` cancels the timer, aborts a running dream and joins it.
 */

import { type Clock, CoreErrorCode, KernelError, type Logger, type Timer } from "@oxios/core";
import { DREAM_PRESETS, type DreamPreset, type DreamReport } from "./dream.ts";
import { MemoryErrorCode } from "./error-codes.ts";

export interface DreamScheduleOptions {
  /** `frequent` 4 h, `daily` 24 h (default), `relaxed` 48 h. */
  preset?: DreamPreset;
  /** Overrides the preset. */
  intervalMs?: number;
}

export interface DreamSchedule {
  readonly intervalMs: number;
  /** Dreams finished (completed or failed) by this schedule. */
  readonly runs: number;
  /** The last run's failure, if it failed. */
  readonly lastError: KernelError | undefined;
  /** Cancels the timer, aborts a running dream and waits for it to stop. */
  stop(): Promise<void>;
}

/** Runs dreams every interval on a Clock; at most one schedule per store. */
export class DreamScheduler {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #run: (signal: AbortSignal) => Promise<DreamReport>;
  #active: DreamSchedule | undefined;

  constructor(options: { clock: Clock; logger: Logger; run: (signal: AbortSignal) => Promise<DreamReport> }) {
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#run = options.run;
  }

  start(options: DreamScheduleOptions): DreamSchedule {
    if (this.#active !== undefined) {
      throw new KernelError(MemoryErrorCode.dreamBusy, "dreams are already scheduled on this store");
    }
    const intervalMs = options.intervalMs ?? DREAM_PRESETS[options.preset ?? "daily"];
    if (
      !Number.isFinite(intervalMs) ||
      intervalMs <= 0 ||
      (options.preset !== undefined && !(options.preset in DREAM_PRESETS))
    ) {
      throw new KernelError(
        MemoryErrorCode.configInvalid,
        "dream interval must be a preset or a positive number of ms",
      );
    }
    const controller = new AbortController();
    let timer: Timer | undefined;
    let current: Promise<void> | undefined;
    let stopped = false;
    let runs = 0;
    let lastError: KernelError | undefined;
    const fire = (): void => {
      timer = undefined;
      current = this.#run(controller.signal)
        .then(
          (report) => {
            lastError = undefined;
            this.#logger.debug("scheduled dream finished", { runId: report.runId });
          },
          (error: unknown) => {
            lastError = KernelError.from(error, MemoryErrorCode.storageFailed);
            if (stopped && KernelError.hasCode(error, CoreErrorCode.aborted)) {
              this.#logger.info("scheduled dream cancelled by stop; it resumes at its next phase", {});
            } else this.#logger.error("scheduled dream failed; the next one runs on schedule", { error });
          },
        )
        .then(() => {
          runs += 1;
          current = undefined;
          if (!stopped) timer = this.#clock.setTimer(fire, intervalMs);
        });
    };
    timer = this.#clock.setTimer(fire, intervalMs);
    const schedule: DreamSchedule = {
      intervalMs,
      get runs() {
        return runs;
      },
      get lastError() {
        return lastError;
      },
      stop: async () => {
        stopped = true;
        timer?.cancel();
        controller.abort(new KernelError(CoreErrorCode.aborted, "dream schedule stopped"));
        await current;
        if (this.#active === schedule) this.#active = undefined;
      },
    };
    this.#active = schedule;
    return schedule;
  }

  async stopAll(): Promise<void> {
    await this.#active?.stop();
  }
}
