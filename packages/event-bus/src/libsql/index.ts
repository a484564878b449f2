/**
 * @module @oxios/event-bus/libsql — the durable audit store on an embedded libsql file.
 * A separate entry so that `@oxios/event-bus` itself has no native dependency; install
 * `libsql` (an optional peer dependency) to use it.
 */
export { LibsqlAuditStore, type LibsqlAuditStoreOptions } from "./libsql-audit-store.ts";
