/**
 * @module @oxios/scheduler — admission control for agent runs: a priority queue with aging,
 * a global cap, per-agent caps, per-rate-key token buckets and a budget hook checked and
 * recorded in one synchronous step; leases with heartbeats and zombie reaping; a durable
 * queue port (`TaskStore`); and scheduled goals (`GoalSchedules`: cron in a time zone or an
 * interval, missed-fire and overlap policies, on the injected Clock) with their store port
 * (`GoalScheduleStore`). The libsql stores are on `@oxios/scheduler/libsql`. Portable:
 * web-standard APIs only.
 */
export { SchedulerErrorCode } from "./error-codes.ts";
export {
  type GoalSchedule,
  type GoalScheduleInput,
  type GoalScheduleSource,
  MAX_GOAL_CHARS,
  type MissedFirePolicy,
  nextFireAfter,
  type OverlapPolicy,
  parseGoalSchedule,
  parseInterval,
  SCHEDULE_NAME_PATTERN,
} from "./goal-schedule.ts";
export { type GoalScheduleStore, InMemoryGoalScheduleStore, type StoredGoalSchedule } from "./goal-schedule-store.ts";
export {
  type FireTrigger,
  GoalSchedules,
  type GoalSchedulesOptions,
  type GoalScheduleView,
  type ManualRunResult,
  type MissedReport,
  type ScheduleFiring,
  type StartedRun,
} from "./goal-schedules.ts";
export { type RecoveryReport, Scheduler, type SchedulerOptions, type TaskRunner } from "./scheduler.ts";
export {
  type DrainReport,
  type LatencySummary,
  type Lease,
  PRIORITIES,
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
