/**
 * Group commit: every write the stores on one `Database` handle make within a short window
 * lands in one transaction. Stores opened on one shared handle share its committer
 * (`GroupCommit.for(database)`), so a run's record and its scheduler task, written in the
 * same tick, commit together or not at all — and thousands of writers pay for one
 * transaction per window instead of one each.
 *
 * Contract:
 * - Ordering: writes commit in call order; a write is durable only when every write made
 *   before it on this handle is durable too (one FIFO queue per handle).
 * - Atomicity: the statements of one `write` are never split across transactions.
 * - Durability: `write` resolves once its transaction committed (with the handle's
 *   `synchronous` setting); it rejects with the coded `KernelError` of a failed commit, and
 *   then every write of that batch rejects and none of its statements is stored. On a served
 *   database a commit sqld answered `DATABASE_BUSY` (another node held the write lock; nothing
 *   of it committed) is sent again, three attempts in all, before it fails (`retryServed`;
 *   not when it joined a transaction already open, which the failure ended too).
 * - Timing: the first write of a window arms a timer of `windowMs` — or, with a window of 0
 *   (the default on a file), waits for the end of the event loop's turn (`setImmediate`): the
 *   writes made while the loop handles what it has at hand commit together, and a lone write
 *   (a sequential run's step) waits for no clock; on a served database (default 2 ms) every
 *   commit is a round trip that holds the loop, so a short timer gathers more. A window that reaches
 *   `maxBatch` writes commits in a microtask, once the synchronous code that filled it has
 *   run (so writes made together in one tick still commit together) — under a burst the
 *   event loop may not reach its timers until every queued request has been handled, and
 *   the first writers should not wait for the last; `flush()` commits what is buffered at
 *   once, synchronously.
 * - Logging: a window whose commit fails is logged (error) at the first failure of a streak
 *   only, and once a window commits again (info), so a full disk under a burst writes two
 *   lines, not one per window.
 */

import { KernelError, type Logger } from "@oxios/core";
import type { Database, Statement } from "./database.ts";
import { DatabaseErrorCode } from "./error-codes.ts";
import { retryServed } from "./served-retry.ts";

export interface GroupCommitOptions {
  /**
   * The window in ms from the first buffered write to its commit; 0: to the end of the event
   * loop's turn. Default 0 on a file, 2 on a served database.
   */
  windowMs?: number;
  /** A window holding this many writes commits at once. Default 256. */
  maxBatch?: number;
  logger?: Logger;
}

interface Waiting {
  readonly statements: readonly Statement[];
  readonly resolve: () => void;
  readonly reject: (error: KernelError) => void;
}

const committers = new WeakMap<Database, GroupCommit>();

export class GroupCommit {
  readonly #database: Database;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  readonly #logger: Logger | undefined;
  #queue: Waiting[] = [];
  /** Cancels the armed window (its timer or its `setImmediate`); undefined while none is armed. */
  #disarm: (() => void) | undefined;
  #commits = 0;
  #early = false;
  /** Commits from the window that failed since the last one that succeeded. */
  #failedInARow = 0;

  constructor(database: Database, options: GroupCommitOptions = {}) {
    this.#database = database;
    this.#windowMs = options.windowMs ?? (database.served === true ? 2 : 0);
    this.#maxBatch = options.maxBatch ?? 256;
    this.#logger = options.logger?.child({ component: "database.group-commit" });
  }

  /**
   * The committer of `database`: created on first use with `options`, then shared by every
   * store on that handle (later `options` are ignored).
   */
  static for(database: Database, options: GroupCommitOptions = {}): GroupCommit {
    let committer = committers.get(database);
    if (committer === undefined) {
      committer = new GroupCommit(database, options);
      committers.set(database, committer);
    }
    return committer;
  }

  /** Transactions committed so far. */
  get commits(): number {
    return this.#commits;
  }

  /** Writes buffered and not yet committed. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Buffers `statements` for the next group commit. Resolves once they are durable.
   *
   * Throws: nothing synchronously. Rejects with the commit's coded error (`DATABASE_*`);
   * `DATABASE_CLOSED` when the handle was closed before the commit.
   */
  write(statements: readonly Statement[]): Promise<void> {
    const written = new Promise<void>((resolve, reject) => {
      this.#queue.push({ statements, resolve, reject });
    });
    this.#disarm ??= this.#arm();
    if (this.#queue.length >= this.#maxBatch && !this.#early) {
      this.#early = true;
      queueMicrotask(() => {
        this.#early = false;
        this.#commitFromTimer();
      });
    }
    return written;
  }

  /**
   * Commits everything buffered now, in one transaction. Throws the commit's coded error
   * (the writes' promises reject with it as well).
   */
  flush(): void {
    this.#disarm?.();
    this.#disarm = undefined;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    const statements = batch.flatMap((waiting) => waiting.statements);
    try {
      // sqld answered busy: another node held the write lock, nothing of the batch was
      // committed, and sending it again is what the writers would do themselves.
      retryServed(this.#database, () => this.#database.batch(statements), {
        what: "group commit",
        logger: this.#logger,
      });
    } catch (error) {
      const failure = KernelError.isInstance(error)
        ? error
        : new KernelError(DatabaseErrorCode.failed, "group commit failed", { cause: error });
      for (const waiting of batch) waiting.reject(failure);
      throw failure;
    }
    this.#commits++;
    if (this.#failedInARow > 0) {
      this.#logger?.info("group commits succeed again", { failed: this.#failedInARow });
      this.#failedInARow = 0;
    }
    for (const waiting of batch) waiting.resolve();
  }

  /** Arms the window: the buffered writes commit when it ends. */
  #arm(): () => void {
    if (this.#windowMs === 0) {
      const immediate = setImmediate(() => this.#commitFromTimer());
      return () => clearImmediate(immediate);
    }
    const timer = setTimeout(() => this.#commitFromTimer(), this.#windowMs);
    return () => clearTimeout(timer);
  }

  #commitFromTimer(): void {
    try {
      this.flush();
    } catch (error) {
      // Every write of the batch was rejected with this error; its owners decide what it means.
      // Logged once per streak: a burst against a full disk fails every window.
      this.#failedInARow++;
      if (this.#failedInARow === 1) this.#logger?.error("group commit failed", { error });
      else this.#logger?.debug("group commit failed again", { failed: this.#failedInARow });
    }
  }
}
