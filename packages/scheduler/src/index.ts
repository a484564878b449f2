/**
 * @module @oxios/scheduler — admission control for agent runs: a priority queue with aging,
 * a global cap, per-agent caps, per-rate-key token buckets and a budget hook checked and
 * recorded in one synchronous step; leases with heartbeats and zombie reaping; and a
 * durable queue port (`TaskStore`; the libsql implementation is on
 * `@oxios/scheduler/libsql`). Portable: web-standard APIs only.
 */
export { SchedulerErrorCode } from "./error-codes.ts";
export { type HeapItem, IndexedHeap } from "./indexed-heap.ts";
export { type RecoveryReport, Scheduler, type SchedulerOptions, type TaskRunner } from "./scheduler.ts";
export {
  type DrainReport,
  type LatencySummary,
  type Lease,
  PRIORITIES,
  type Priority,
  type SchedulerStats,
  type TaskError,
  type TaskHandle,
  type TaskRecord,
  type TaskSpec,
  type TaskStatus,
  type TerminalStatus,
} from "./task.ts";
export type { RecoveredTasks, StoredTask, TaskStore, TaskStoreWrite } from "./task-store.ts";
export { TokenBucket } from "./token-bucket.ts";
