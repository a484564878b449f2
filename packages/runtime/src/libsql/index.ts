/**
 * @module @oxios/runtime/libsql — the run journal on a libsql database through
 * `@oxios/database` (group-committed with the other stores on the same handle). Node only,
 * like the rest of the runtime; the main entry carries no database dependency.
 */
export { LibsqlRunJournal, type LibsqlRunJournalOptions, RUN_JOURNAL_MIGRATIONS } from "./libsql-run-journal.ts";
