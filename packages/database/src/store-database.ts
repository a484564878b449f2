/**
 * How a store reaches its database, the same way for every store: it opens one from a URL
 * (and closes it in its own `close()`), or it is handed a `Database` someone else opened and
 * shares (and leaves it open). `acquireDatabase` is that choice in one place.
 */

import type { Database } from "./database.ts";
import { type OpenDatabaseOptions, openDatabase } from "./open-database.ts";

/** A store's `open` options name its database in one of two ways. */
export type DatabaseSource =
  /** Open a connection of the store's own from this URL; the store closes it. */
  | { url: string; authToken?: string; database?: undefined }
  /** Use this open handle; whoever opened it closes it (and chose its pragmas). */
  | { database: Database; url?: undefined; authToken?: undefined };

export interface AcquiredDatabase {
  readonly database: Database;
  /** Closes the database when it was opened from a URL; does nothing for a shared handle. */
  release(): void;
}

/**
 * The database a store's options name. `defaults` apply only when a connection is opened
 * here (a store's own `busyTimeoutMs`, `synchronous`, `logger`).
 *
 * Throws: what `openDatabase` throws.
 */
export async function acquireDatabase(
  source: DatabaseSource,
  defaults: Omit<OpenDatabaseOptions, "url" | "authToken"> = {},
): Promise<AcquiredDatabase> {
  if (source.database !== undefined) {
    const shared = source.database;
    return { database: shared, release: () => undefined };
  }
  const database = await openDatabase({
    ...defaults,
    url: source.url,
    ...(source.authToken === undefined ? {} : { authToken: source.authToken }),
  });
  return { database, release: () => database.close() };
}
