/**
 * The stable error codes @oxios/core throws (as `KernelError.code`), and the generic ones every
 * package shares: `ABORTED`, `TIMED_OUT`, `INTERNAL`. Callers branch on these; messages are for
 * people and may change.
 */

import { defineErrorCodes } from "./error-catalog.ts";

export const CoreErrorCode = defineErrorCodes("@oxios/core", {
  aborted: {
    code: "ABORTED",
    kind: "aborted",
    description: "An AbortSignal fired: the caller cancelled, an agent was killed or the kernel is stopping.",
  },
  timedOut: {
    code: "TIMED_OUT",
    kind: "timeout",
    description: "A deadline passed before the operation finished; `details.timeoutMs` names it where known.",
  },
  internal: {
    code: "INTERNAL",
    kind: "internal",
    description: "An unexpected failure that was not a KernelError, wrapped with the original as `cause`.",
  },
  lockOrder: {
    code: "LOCK_ORDER",
    kind: "internal",
    description: "A flow acquired a lock whose rank is not strictly greater than every lock it holds.",
  },
  lockReentrant: {
    code: "LOCK_REENTRANT",
    kind: "internal",
    description: "A flow acquired a lock it already holds.",
  },
  lockNotHeld: {
    code: "LOCK_NOT_HELD",
    kind: "internal",
    description: "A lock was released twice, or with a guard of another lock.",
  },
  lockInvalid: {
    code: "LOCK_INVALID",
    kind: "invalid",
    description: "A lock was built with a rank that is not a finite number or fewer than one permit.",
  },
  lockUnknown: {
    code: "LOCK_UNKNOWN",
    kind: "invalid",
    description: "A LockRegistry was asked for a lock name it has no rank for.",
  },
  circuitOpen: {
    code: "CIRCUIT_OPEN",
    kind: "unavailable",
    description: "A circuit breaker is open after repeated failures; `details.retryInMs` says when it half-opens.",
  },
  circuitInvalid: {
    code: "CIRCUIT_INVALID",
    kind: "invalid",
    description: "A circuit breaker was built with a failure threshold below 1 or an open time not above 0.",
  },
  clockInvalid: {
    code: "CLOCK_INVALID",
    kind: "invalid",
    description: "A ManualClock was moved by a negative or non-finite number of milliseconds.",
  },
});
