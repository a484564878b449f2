/**
 * @module @oxios/scheduler/libsql — the durable queue's `TaskStore` (WAL, group commit) and
 * the scheduled goals' `GoalScheduleStore` on a libsql database through `@oxios/database`.
 * Node, Bun and Deno load it; the scheduler itself stays portable.
 */

export {
  type AdmitNextOptions,
  type AdmittedTask,
  admitBatch,
  admitNext,
  batchMayLeaveTasks,
  type ClusterNodeRow,
  finishAdmitted,
  heartbeatNode,
  listNodes,
  reclaimExpired,
  releaseNode,
  releaseTask,
  renewLease,
} from "./cluster-admission.ts";
export {
  GOAL_SCHEDULE_MIGRATIONS,
  LibsqlGoalScheduleStore,
  type LibsqlGoalScheduleStoreOptions,
} from "./libsql-goal-schedule-store.ts";
export { LibsqlTaskStore, type LibsqlTaskStoreOptions } from "./libsql-task-store.ts";
