/**
 * A transaction that sqld ended without committing it, run again. sqld answers `DATABASE_BUSY`
 * when it interrupted a statement of the transaction, when it rolled the transaction back
 * because another connection claimed the write lock after sqld's transaction timeout (5 s;
 * the holder's next statement is refused), or when another connection held the write lock past
 * the busy timeout. In each case nothing of the transaction was committed, and on a loaded
 * machine each can happen to a transaction that did nothing wrong.
 */

import { KernelError, type Logger } from "@oxios/core";
import type { Database } from "./database.ts";
import { DatabaseErrorCode } from "./error-codes.ts";

/** Attempts in all, the first included. */
const SERVED_ATTEMPTS = 3;

export interface RetryServedTransactionOptions {
  /** What the transaction does, for the debug line of a retry ("loading the vector index"). */
  readonly what: string;
  readonly logger?: Logger;
  /** Whether `error` means that nothing was committed; default: its code is `DATABASE_BUSY`. */
  readonly uncommitted?: (error: KernelError) => boolean;
}

/**
 * Runs `body` in `database.transaction`; on a served database, runs it again when sqld ended
 * the transaction without committing it (above), up to three attempts in all. On a file, or
 * inside a transaction already open, it is `database.transaction(body)`: on a file
 * `DATABASE_BUSY` already waited out the busy timeout.
 *
 * Only for a `body` that does nothing but database work through `database`: it may run more
 * than once, and what it did in memory is not undone between attempts.
 *
 * Throws: what the last attempt threw.
 */
export function retryServedTransaction<T>(
  database: Database,
  body: () => T,
  options: RetryServedTransactionOptions,
): T {
  return retryServed(database, () => database.transaction(body), options);
}

/**
 * The loop of `retryServedTransaction` for any `transaction`, one call that is a whole
 * transaction on `database` (`database.transaction(…)`, `database.batch(…)`).
 */
export function retryServed<T>(database: Database, transaction: () => T, options: RetryServedTransactionOptions): T {
  const uncommitted = options.uncommitted ?? ((error: KernelError) => error.code === DatabaseErrorCode.busy);
  // Inside an outer transaction the failure ended the outer one too: running the body again
  // would commit it alone, so only the outer transaction's owner may start over.
  const retries = database.served && !database.inTransaction;
  for (let attempt = 1; ; attempt++) {
    try {
      return transaction();
    } catch (error) {
      const failure = KernelError.from(error);
      if (!retries || attempt >= SERVED_ATTEMPTS || !uncommitted(failure)) throw error;
      options.logger?.debug(`${options.what}: the transaction was interrupted by the server; running it again`, {
        attempt,
        error: failure,
      });
    }
  }
}
