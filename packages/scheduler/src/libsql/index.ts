/**
 * @module @oxios/scheduler/libsql — the durable queue's `TaskStore` on a local libsql
 * `file:` database (WAL, group commit). Needs the `libsql` package (Node, Bun and Deno load
 * it); the scheduler itself stays portable.
 */
export { LibsqlTaskStore, type LibsqlTaskStoreOptions, openLibsqlTaskStore } from "./libsql-task-store.ts";
