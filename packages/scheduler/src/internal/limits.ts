/**
 * The checks every limit option goes through, in the scheduler and in cluster admission: a
 * bad value is `SCHEDULER_LIMIT_INVALID` naming the option, never a silent default.
 */
import { KernelError } from "@oxios/core";
import { SchedulerErrorCode } from "../error-codes.ts";

/** `value` when it is a positive integer, `fallback` when it is absent. */
export function positiveInteger(
  name: string,
  value: number | undefined,
  fallback: number | undefined,
): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new KernelError(SchedulerErrorCode.limitInvalid, `${name} must be a positive integer, got ${String(value)}`, {
      details: { option: name, value },
    });
  }
  return value;
}

/** `value` when it is a positive number (`Infinity` included), `fallback` when it is absent. */
export function positiveOrInfinite(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw new KernelError(SchedulerErrorCode.limitInvalid, `${name} must be a positive number, got ${String(value)}`, {
      details: { option: name, value },
    });
  }
  return value;
}
