/**
 * @module @oxios/core — the primitives every Oxios package shares: coded errors with kinds,
 * time-ordered ids, the Clock port, cancellation helpers, ranked async locks with a
 * lock-order check, the Logger port, the Redactor port for secrets and the one token
 * estimate every package uses. Portable:
 * web-standard APIs only.
 */

export { type AsyncContextSupport, asyncContextSupport } from "./async-context.ts";
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from "./circuit-breaker.ts";
export { type Clock, SystemClock, sleepOn, systemClock, type Timer } from "./clock.ts";
export {
  type DeclaredErrorCode,
  declaredErrorCodes,
  defineErrorCodes,
  ERROR_KINDS,
  type ErrorCodeSpec,
  type ErrorCodes,
  type ErrorKind,
  errorCodeInfo,
  errorKindOf,
} from "./error-catalog.ts";
export { CoreErrorCode } from "./error-codes.ts";
export { KernelError, type KernelErrorOptions } from "./errors.ts";
export { idTimestamp, isId, newId } from "./ids.ts";
export { loadOnce } from "./load-once.ts";
export {
  configureLockOrder,
  heldLocksInFlow,
  type LockOrderOptions,
  lockOrderStatus,
  type RankedLockIdentity,
} from "./lock-order.ts";
export { KERNEL_LOCK_RANKS, type KernelLockName } from "./lock-ranks.ts";
export { kernelLocks, LockRegistry } from "./lock-registry.ts";
export {
  createConsoleLogger,
  createLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  type LogRecord,
  silentLogger,
} from "./logger.ts";
export { Mutex, type MutexOptions } from "./mutex.ts";
export { redactingLogger } from "./redacting-logger.ts";
export {
  isSecretName,
  MIN_SECRET_LENGTH,
  noRedaction,
  type Redactor,
  type Secret,
  SecretRedactor,
  type SecretRedactorOptions,
  secretsFromEnvironment,
} from "./redactor.ts";
export { backoffDelay, type RetryOptions, type RetryPolicy, withRetry } from "./retry.ts";
export { type LockGuard, type LockOptions, Semaphore, type SemaphoreOptions } from "./semaphore.ts";
export { abortError, anySignal, type TimeoutSignal, throwIfAborted, timeoutSignal } from "./signals.ts";
export { estimateTokens } from "./tokens.ts";
