/**
 * The stable error codes @oxios/scheduler throws (as `KernelError.code`) or records on a
 * finished task (`TaskRecord.error.code`). Callers branch on these; messages are for people and
 * may change.
 */

import { defineErrorCodes } from "@oxios/core";

export const SchedulerErrorCode = defineErrorCodes("@oxios/scheduler", {
  limitInvalid: {
    code: "SCHEDULER_LIMIT_INVALID",
    kind: "invalid",
    description: "A limit or timeout option is not a positive integer (or not finite); `details.option` names it.",
  },
  taskInvalid: {
    code: "SCHEDULER_TASK_INVALID",
    kind: "invalid",
    description: "A task spec is not an object, or a string field of it is empty; `details.field` names it.",
  },
  priorityInvalid: {
    code: "SCHEDULER_PRIORITY_INVALID",
    kind: "invalid",
    description: "A task priority that is not low, normal, high or critical.",
  },
  taskDuplicate: {
    code: "SCHEDULER_TASK_DUPLICATE",
    kind: "conflict",
    description: "A task with that id is already live, finished or in the store; `details.taskId` names it.",
  },
  idempotencyKeyDuplicate: {
    code: "SCHEDULER_IDEMPOTENCY_KEY_DUPLICATE",
    kind: "conflict",
    description: "Another task holds that idempotency key (live, recent or stored); `details.taskId` names it.",
  },
  taskNotFound: {
    code: "SCHEDULER_TASK_NOT_FOUND",
    kind: "not-found",
    description: "heartbeat, complete or fail named a task the scheduler does not know.",
  },
  taskNotRunning: {
    code: "SCHEDULER_TASK_NOT_RUNNING",
    kind: "conflict",
    description: "heartbeat, complete or fail named a task that is queued or finished.",
  },
  taskFailed: {
    code: "SCHEDULER_TASK_FAILED",
    kind: "internal",
    description: "A task's function threw something that was not a KernelError (recorded on the task).",
  },
  taskCancelled: {
    code: "SCHEDULER_TASK_CANCELLED",
    kind: "aborted",
    description: "The task was cancelled (`cancel` or the caller's signal) before it finished.",
  },
  taskReaped: {
    code: "SCHEDULER_TASK_REAPED",
    kind: "timeout",
    description: "A running task sent no heartbeat within `zombieAfterMs` and was reaped.",
  },
  taskInterrupted: {
    code: "SCHEDULER_TASK_INTERRUPTED",
    kind: "unavailable",
    description:
      "A task's function stopped because what it records to cannot be reached: its end is not stored, and the task stays running in the store under its lease until its holder hands it back or the lease expires.",
  },
  draining: {
    code: "SCHEDULER_DRAINING",
    kind: "unavailable",
    description: "The scheduler is draining: no new task is admitted, and queued ones are released.",
  },
  admissionHookFailed: {
    code: "SCHEDULER_ADMISSION_HOOK_FAILED",
    kind: "internal",
    description: "The `canAdmit` hook threw; the task failed instead of waiting forever.",
  },
  attemptsExhausted: {
    code: "SCHEDULER_ATTEMPTS_EXHAUSTED",
    kind: "internal",
    description: "Recovery found a task still running after `maxAttempts` attempts and failed it.",
  },
  storeMissing: {
    code: "SCHEDULER_STORE_MISSING",
    kind: "invalid",
    description: "`recover` was called on a scheduler built without a task store.",
  },
  storeInvalid: {
    code: "SCHEDULER_STORE_INVALID",
    kind: "invalid",
    description: "A task cannot be stored: its payload is not JSON-serializable.",
  },
  storeClosed: {
    code: "SCHEDULER_STORE_CLOSED",
    kind: "unavailable",
    description: "The task store was closed.",
  },
  storeCorrupt: {
    code: "SCHEDULER_STORE_CORRUPT",
    kind: "internal",
    description: "A stored task cannot be read back; recovery fails it.",
  },
  storeFailed: {
    code: "SCHEDULER_STORE_FAILED",
    kind: "internal",
    description: "A task store write or recovery failed; the store refuses further writes (`cause` has why).",
  },
  scheduleInvalid: {
    code: "SCHEDULER_SCHEDULE_INVALID",
    kind: "invalid",
    description:
      "A scheduled goal's definition is refused: a cron expression croner rejects or that never fires, an unknown time zone, a bad interval, both or neither of cron and every; `details.field` names the field.",
  },
  scheduleNotFound: {
    code: "SCHEDULER_SCHEDULE_NOT_FOUND",
    kind: "not-found",
    description: "No scheduled goal has that name; `details.name` names it.",
  },
  scheduleExists: {
    code: "SCHEDULER_SCHEDULE_EXISTS",
    kind: "conflict",
    description: "Creating a scheduled goal whose name is taken (replace it instead).",
  },
  scheduleReadOnly: {
    code: "SCHEDULER_SCHEDULE_READ_ONLY",
    kind: "conflict",
    description: "The scheduled goal is defined in the configuration file; change it there and reload.",
  },
  scheduleBusy: {
    code: "SCHEDULER_SCHEDULE_BUSY",
    kind: "conflict",
    description: "Running a scheduled goal now while its run goes on, under the overlap policy skip.",
  },
  scheduleFireFailed: {
    code: "SCHEDULER_SCHEDULE_FIRE_FAILED",
    kind: "internal",
    description: "A firing's run could not start for a reason that was not a KernelError (the cause is kept).",
  },
  schedulesNotOpen: {
    code: "SCHEDULER_SCHEDULES_NOT_OPEN",
    kind: "unavailable",
    description: "Scheduled goals were used before `open`, or opened twice.",
  },
  schedulesStopped: {
    code: "SCHEDULER_SCHEDULES_STOPPED",
    kind: "unavailable",
    description: "Scheduled goals were changed or run after `stop` (the kernel is shutting down).",
  },
  scheduleStoreClosed: {
    code: "SCHEDULER_SCHEDULE_STORE_CLOSED",
    kind: "unavailable",
    description: "The libsql schedule store was used after `close()`.",
  },
});
