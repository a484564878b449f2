/**
 * @module @oxios/scheduler/libsql — the durable queue's `TaskStore` on a libsql database
 * through `@oxios/database` (WAL, group commit). Node, Bun and Deno load it; the scheduler
 * itself stays portable.
 */

export {
  type AdmitNextOptions,
  type AdmittedTask,
  admitNext,
  finishAdmitted,
  reclaimExpired,
  renewLease,
} from "./cluster-admission.ts";
export { LibsqlTaskStore, type LibsqlTaskStoreOptions } from "./libsql-task-store.ts";
