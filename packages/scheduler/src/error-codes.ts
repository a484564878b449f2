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
});
