/**
 * The git layer's auto-commit queue: paths changed by durable state writes are collected
 * and committed in batches, at most one commit per `intervalMs` on the injected Clock.
 *
 * Nothing is fire-and-forget: the running commit is held in `#running` and joined by
 * `flush()` and `close()`. A failed commit is logged with its error, passed to `onError`,
 * returned by the next `flush()`, and its paths stay queued for the next attempt.
 */

import type { Clock, Logger, Timer } from "@oxios/core";

export interface AutoCommitOptions {
  /** Minimum time between two auto-commits. Default 5000 ms. */
  intervalMs?: number;
  /** Commit message for a batch. Default `state: update <n> file(s)`. */
  message?: (paths: readonly string[]) => string;
  /** Author of auto-commits (default: the layer's author). */
  author?: { name: string; email: string };
  /** Told about every failed auto-commit, in addition to the log and `flush()`. */
  onError?: (error: unknown, paths: readonly string[]) => void;
}

export interface AutoCommitReport {
  /** Commits made since the last flush (oids), oldest first. */
  commits: string[];
  /** Failures since the last flush; their paths are still queued. */
  errors: Array<{ error: unknown; paths: string[] }>;
}

type CommitFunction = (paths: readonly string[], message: string) => Promise<{ oid: string } | undefined>;

function defaultMessage(paths: readonly string[]): string {
  const shown = paths.slice(0, 10).join("\n");
  const more = paths.length > 10 ? `\n… and ${paths.length - 10} more` : "";
  return `state: update ${paths.length} file${paths.length === 1 ? "" : "s"}\n\n${shown}${more}`;
}

export class AutoCommitQueue {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #commit: CommitFunction;
  readonly #intervalMs: number;
  readonly #message: (paths: readonly string[]) => string;
  readonly #onError: AutoCommitOptions["onError"];
  readonly #queued = new Set<string>();
  #timer: Timer | undefined;
  #running: Promise<void> = Promise.resolve();
  #lastCommitAt = Number.NEGATIVE_INFINITY;
  #report: AutoCommitReport = { commits: [], errors: [] };
  #closed = false;

  constructor(clock: Clock, logger: Logger, commit: CommitFunction, options: AutoCommitOptions) {
    this.#clock = clock;
    this.#logger = logger;
    this.#commit = commit;
    this.#intervalMs = options.intervalMs ?? 5000;
    this.#message = options.message ?? defaultMessage;
    this.#onError = options.onError;
  }

  /** Paths waiting for the next commit. */
  get queued(): number {
    return this.#queued.size;
  }

  add(paths: readonly string[]): void {
    for (const path of paths) this.#queued.add(path);
    if (!this.#closed) this.#schedule();
  }

  /** Commits everything queued now, joins the running commit, and returns the report since the last flush. */
  async flush(): Promise<AutoCommitReport> {
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#enqueueRun();
    const report = this.#report;
    this.#report = { commits: [], errors: [] };
    return report;
  }

  async close(): Promise<AutoCommitReport> {
    this.#closed = true;
    return this.flush();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#queued.size === 0) return;
    // A window opens at the first change; it never closes sooner than one interval after
    // the previous commit started, so commits are at least `intervalMs` apart.
    const now = this.#clock.now();
    const due = Math.max(now + this.#intervalMs, this.#lastCommitAt + this.#intervalMs);
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      // Owned: chained into #running, which flush() and close() join; errors handled in #run.
      void this.#enqueueRun();
    }, due - now);
  }

  #enqueueRun(): Promise<void> {
    this.#running = this.#running.then(() => this.#run());
    return this.#running;
  }

  async #run(): Promise<void> {
    if (this.#queued.size === 0) return;
    const paths = [...this.#queued].sort();
    this.#queued.clear();
    this.#lastCommitAt = this.#clock.now();
    try {
      const result = await this.#commit(paths, this.#message(paths));
      if (result !== undefined) this.#report.commits.push(result.oid);
    } catch (error) {
      for (const path of paths) this.#queued.add(path);
      this.#report.errors.push({ error, paths });
      this.#logger.error("auto-commit failed; its paths stay queued for the next attempt", {
        error,
        paths: paths.length,
      });
      if (this.#onError !== undefined) {
        try {
          this.#onError(error, paths);
        } catch (callbackError) {
          this.#logger.error("auto-commit onError callback threw", { error: callbackError });
        }
      }
    }
    if (!this.#closed) this.#schedule();
  }
}
