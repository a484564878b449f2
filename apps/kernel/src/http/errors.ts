/** JSON errors `{error: {code, message}}` and the HTTP status each kernel error code maps to. */

import { KernelError } from "@oxios/core";

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

const STATUS_BY_CODE: Record<string, number> = {
  NOT_FOUND: 404,
  MEMORY_NOT_FOUND: 404,
  SPACE_NOT_FOUND: 404,
  AGENT_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  STATE_NOT_FOUND: 404,
  AGENT_PROFILE_NOT_FOUND: 404,
  APPROVAL_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  GIT_NOT_FOUND: 404,
  SPACE_NAME_TAKEN: 409,
  AGENT_NOT_RUNNABLE: 409,
  APPROVAL_ALREADY_DECIDED: 409,
  SCHEDULE_EXISTS: 409,
  SCHEDULE_READ_ONLY: 409,
  SCHEDULE_BUSY: 409,
  GIT_ALREADY_EXISTS: 409,
  SCHEDULE_STOPPED: 503,
  SCHEDULER_DRAINING: 503,
  SUPERVISOR_SHUTTING_DOWN: 503,
  MEMORY_CLOSED: 503,
  RATE_LIMITED: 429,
  UNAUTHORIZED: 401,
  BODY_TOO_LARGE: 413,
  JSON_MALFORMED: 400,
  JSON_TOO_DEEP: 400,
  JSON_TOO_MANY_VALUES: 400,
};

/** 422 for input a module refused as invalid; 500 for everything unexpected. */
export function statusOf(error: KernelError): number {
  const known = STATUS_BY_CODE[error.code];
  if (known !== undefined) return known;
  if (/_(INVALID|EMPTY_MESSAGE|CONTENT_INVALID|TYPE_INVALID|FILTER_INVALID)$/.test(error.code)) return 422;
  if (error.code.startsWith("PROVIDER_")) return 502;
  return 500;
}

export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return { error: { code, message, ...(field === undefined ? {} : { field }) } };
}

export function toKernelError(error: unknown): KernelError {
  return KernelError.from(error, "INTERNAL");
}
