/**
 * @module @oxios/database — the one way Oxios stores reach their libsql database: `openDatabase`
 * from a URL with the kernel's pragmas, a `Database` handle whose statements always bind their
 * parameters as an array and are cached, SQLite errors as coded `KernelError`s, and
 * `migrate` per table prefix. Node (and Bun, Deno): it loads the native `libsql` driver.
 */

export type { Database, Row, RunResult, SqlValue, Statement } from "./database.ts";
export { DatabaseErrorCode, type DatabaseErrorCodeValue } from "./error-codes.ts";
export { GroupCommit, type GroupCommitOptions } from "./group-commit.ts";
export { type Migration, type MigrationResult, type MigrationSet, migrate } from "./migrations.ts";
export { type OpenDatabaseOptions, openDatabase } from "./open-database.ts";
export { type RetryServedTransactionOptions, retryServedTransaction } from "./served-retry.ts";
export { type AcquiredDatabase, acquireDatabase, type DatabaseSource } from "./store-database.ts";
