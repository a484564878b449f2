/**
 * Schema migrations per table prefix. Several stores share one database (`oxios.db`), so each
 * declares its own ordered migrations under its prefix (`audit_`, `memory_`, `scheduler_`,
 * `space_`) and the versions applied are recorded, per prefix, in one table,
 * `database_migrations` — never in `PRAGMA user_version`, which belongs to the whole file.
 *
 * A migration is SQL text (no `BEGIN`/`COMMIT` inside), so the same migration can run on an
 * embedded file or, later, on a served database. Migrations are only ever appended.
 */

import { KernelError, type Logger } from "@oxios/core";
import type { Database } from "./database.ts";
import { DatabaseErrorCode } from "./error-codes.ts";
import { retryServedTransaction } from "./served-retry.ts";

export interface Migration {
  /** 1 for the first migration of a prefix, then 2, 3, … */
  readonly version: number;
  /** The DDL (and data changes) of this version; may hold several statements. */
  readonly sql: string;
}

export interface MigrationSet {
  /** The prefix of the store's tables, naming the set: `memory_`, `space_`, … (lowercase, ending in `_`). */
  readonly prefix: string;
  /** In order, versions 1, 2, 3, … */
  readonly migrations: readonly Migration[];
  /**
   * For stores that kept their own bookkeeping before this table existed: returns the version
   * that bookkeeping recorded (0 when there is none). Called once, inside the migration's
   * transaction, when the prefix has no row yet; the versions up to it are then recorded as
   * applied without running them. The old bookkeeping is left where it is.
   */
  readonly adopt?: (database: Database) => number;
}

export interface MigrationResult {
  prefix: string;
  /** The version recorded before (adopted versions included). */
  from: number;
  /** The version recorded now, the set's newest. */
  to: number;
  /** Versions taken over from the store's earlier bookkeeping (0 when none). */
  adopted: number;
}

const PREFIX = /^[a-z][a-z0-9]*_$/;
const TABLE = `CREATE TABLE IF NOT EXISTS database_migrations (
  prefix TEXT NOT NULL,
  version INTEGER NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (prefix, version)
) WITHOUT ROWID`;

function invalid(set: MigrationSet, reason: string): KernelError {
  return new KernelError(DatabaseErrorCode.migrationInvalid, `migrations for ${set.prefix}: ${reason}`, {
    details: { prefix: set.prefix },
  });
}

function validate(set: MigrationSet): void {
  if (typeof set.prefix !== "string" || !PREFIX.test(set.prefix) || set.prefix === "database_") {
    throw invalid(set, "the prefix must be lowercase letters and digits ending in _ (database_ is reserved)");
  }
  set.migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw invalid(set, `versions must be 1, 2, 3… in order; found ${migration.version} at position ${index + 1}`);
    }
    if (typeof migration.sql !== "string" || migration.sql.trim().length === 0) {
      throw invalid(set, `version ${migration.version} has no SQL`);
    }
  });
}

function recordedVersion(database: Database, prefix: string): number {
  const row = database.get<{ version: number | null }>(
    "SELECT MAX(version) AS version FROM database_migrations WHERE prefix = ?",
    [prefix],
  );
  return Number(row?.version ?? 0);
}

function record(database: Database, prefix: string, version: number): void {
  database.run("INSERT INTO database_migrations (prefix, version, applied_at) VALUES (?, ?, ?)", [
    prefix,
    version,
    Date.now(),
  ]);
}

/**
 * Brings the tables of `set.prefix` to the newest version, in one `BEGIN IMMEDIATE`
 * transaction: every pending migration and its version row commit together, or — when one
 * fails — none does. Idempotent; concurrent openers of one file serialise on the write lock
 * and the later ones find nothing to do. On a served database (nodes of a cluster booting
 * together) a transaction sqld interrupted or refused for another node's write lock
 * (`DATABASE_BUSY`: nothing of it was committed) runs again, up to three times in all, and
 * finds what another node committed meanwhile.
 *
 * Throws: `DATABASE_MIGRATION_INVALID` (bad prefix or versions), `DATABASE_SCHEMA_TOO_NEW`
 * (the file records a newer version than `set` knows; nothing is changed),
 * `DATABASE_MIGRATION_FAILED` (a migration's SQL failed; `details.version` names it, the
 * recorded version is unchanged), and the database's own codes (`DATABASE_BUSY`, …).
 */
export function migrate(database: Database, set: MigrationSet, options: { logger?: Logger } = {}): MigrationResult {
  validate(set);
  const newest = set.migrations.length;
  const result = retryServedTransaction(database, () => migrateOnce(database, set, newest), {
    what: `migrating the ${set.prefix} tables`,
    logger: options.logger,
    uncommitted: lockedOut,
  });
  if (result.from !== result.to || result.adopted > 0) {
    options.logger?.info("database schema migrated", { ...result });
  }
  return result;
}

/**
 * sqld interrupted the transaction or another connection held the write lock (both
 * `DATABASE_BUSY`, also as the cause of `DATABASE_MIGRATION_FAILED`): nothing was committed.
 */
function lockedOut(failure: KernelError): boolean {
  const cause = failure.code === DatabaseErrorCode.migrationFailed ? KernelError.from(failure.cause) : failure;
  return cause.code === DatabaseErrorCode.busy;
}

/** The body of `migrate`'s transaction. */
function migrateOnce(database: Database, set: MigrationSet, newest: number): MigrationResult {
  database.exec(TABLE);
  let from = recordedVersion(database, set.prefix);
  let adopted = 0;
  if (from === 0 && set.adopt !== undefined) {
    adopted = set.adopt(database);
    for (let version = 1; version <= adopted; version++) record(database, set.prefix, version);
    from = adopted;
  }
  if (from > newest) {
    throw new KernelError(
      DatabaseErrorCode.schemaTooNew,
      `the ${set.prefix} tables are at schema version ${from}, newer than this code's ${newest}`,
      { details: { prefix: set.prefix, stored: from, known: newest } },
    );
  }
  for (const migration of set.migrations.slice(from)) {
    try {
      database.exec(migration.sql);
    } catch (error) {
      throw new KernelError(
        DatabaseErrorCode.migrationFailed,
        `migration ${set.prefix} version ${migration.version} failed: ${(error as Error).message}`,
        { cause: error, details: { prefix: set.prefix, version: migration.version } },
      );
    }
    record(database, set.prefix, migration.version);
  }
  return { prefix: set.prefix, from, to: newest, adopted };
}
