/**
 * A Logger that passes every message and field through a Redactor before the logger it wraps
 * sees them, so a secret that reaches a log call (an error message quoting a header, a
 * configuration value) is written as `[redacted:<label>]`. Errors in fields become
 * `{code?, message}` with the message redacted (what the console logger writes for them).
 */

import type { LogFields, Logger } from "./logger.ts";
import type { Redactor } from "./redactor.ts";

function redactField(value: unknown, redactor: Redactor): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    const message = redactor.redact(value.message);
    return code === undefined ? { message } : { code, message };
  }
  return redactor.redactValue(value);
}

function redactFields(fields: LogFields | undefined, redactor: Redactor): LogFields | undefined {
  if (fields === undefined) return undefined;
  const redacted: LogFields = {};
  for (const [key, value] of Object.entries(fields)) redacted[key] = redactField(value, redactor);
  return redacted;
}

export function redactingLogger(logger: Logger, redactor: Redactor): Logger {
  return {
    debug: (message, fields) => logger.debug(redactor.redact(message), redactFields(fields, redactor)),
    info: (message, fields) => logger.info(redactor.redact(message), redactFields(fields, redactor)),
    warn: (message, fields) => logger.warn(redactor.redact(message), redactFields(fields, redactor)),
    error: (message, fields) => logger.error(redactor.redact(message), redactFields(fields, redactor)),
    child: (fields) => redactingLogger(logger.child(redactFields(fields, redactor) ?? {}), redactor),
  };
}
