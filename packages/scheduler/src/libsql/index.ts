/**
 * @module @oxios/scheduler/libsql — the durable queue's `TaskStore` on a libsql database
 * through `@oxios/database` (WAL, group commit). Node, Bun and Deno load it; the scheduler
 * itself stays portable.
 */
export { LibsqlTaskStore, type LibsqlTaskStoreOptions } from "./libsql-task-store.ts";
