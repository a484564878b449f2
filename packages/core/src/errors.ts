/**
 * KernelError: the one error type every Oxios package throws across its public API.
 *
 * `code` is a stable string callers branch on (`LOCK_ORDER`, `SCHEDULER_DRAINING`, …), declared
 * by its package in `error-codes.ts`; `kind` says what sort of failure it is, looked up from that
 * declaration (`internal` for a code nobody declared). Messages are for people and may change.
 * `isInstance` checks a `Symbol.for` marker instead of `instanceof`, so it still works when two
 * copies of this package are loaded.
 */

import { type ErrorKind, errorKindOf } from "./error-catalog.ts";
import { CoreErrorCode } from "./error-codes.ts";

const kernelErrorMarker = Symbol.for("oxios.kernel-error");

export interface KernelErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class KernelError extends Error {
  readonly [kernelErrorMarker] = true;
  readonly code: string;
  /** The declared kind of `code`; `internal` when no loaded package declares it. */
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: KernelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KernelError";
    this.code = code;
    this.kind = errorKindOf(code);
    this.details = options.details;
  }

  /** True for any KernelError, including one created by another copy of this package. */
  static isInstance(value: unknown): value is KernelError {
    return (
      typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[kernelErrorMarker] === true
    );
  }

  /** True when `value` is a KernelError carrying `code`. */
  static hasCode(value: unknown, code: string): value is KernelError {
    return KernelError.isInstance(value) && value.code === code;
  }

  /**
   * Wraps any thrown value: a KernelError passes through unchanged, anything else becomes a
   * KernelError with `code` and the original as `cause`.
   *
   * Throws: nothing. Abort: takes no signal (synchronous).
   */
  static from(value: unknown, code: string = CoreErrorCode.internal, message?: string): KernelError {
    if (KernelError.isInstance(value)) return value;
    const text = message ?? (value instanceof Error ? value.message : String(value));
    return new KernelError(code, text, { cause: value });
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}
