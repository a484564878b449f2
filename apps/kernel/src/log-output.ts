/**
 * The kernel's log output behind the `Logger` port, through pino: on a terminal one coloured
 * line per record (pino-pretty: time, level, message, then the fields), otherwise one JSON
 * object per line (`time`, `level`, `message`, the fields) for files and log shippers. Both
 * write synchronously, so the last lines before an exit are never lost. pino-pretty is loaded
 * only for a terminal: a daemon writing its log file never carries it.
 */

import type { LogFields, Logger, LogLevel } from "@oxios/core";
import { type DestinationStream, type Logger as PinoLogger, pino } from "pino";

export interface LogOutputOptions {
  /** Human-readable coloured lines (a terminal) instead of JSON lines. */
  pretty: boolean;
  level?: LogLevel;
  fields?: LogFields;
  /** Where the lines go; standard output by default. */
  destination?: { write(line: string): unknown };
  /** Colours in the pretty lines (default: on). */
  colorize?: boolean;
}

/** Errors as `{code, message}` (the code only when they have one): no stacks in the log. */
function serializeFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      out[key] = code === undefined ? { message: value.message } : { code, message: value.message };
    } else out[key] = value;
  }
  return out;
}

function wrap(instance: PinoLogger): Logger {
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (fields === undefined) instance[level](message);
    else instance[level](serializeFields(fields), message);
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (fields) => wrap(instance.child(serializeFields(fields))),
  };
}

/** The kernel's logger: pretty lines when `pretty` (a terminal), JSON lines otherwise. */
export async function createLogOutput(options: LogOutputOptions): Promise<Logger> {
  const target = options.destination ?? pino.destination({ fd: 1, sync: true });
  let destination: DestinationStream = target as DestinationStream;
  if (options.pretty) {
    // pino-pretty's formatter, applied line by line on this thread (no transport worker).
    const { prettyFactory } = await import("pino-pretty");
    const prettify = prettyFactory({
      colorize: options.colorize ?? true,
      singleLine: true,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "component",
      messageKey: "message",
    });
    destination = { write: (line: string) => target.write(prettify(line)) };
  }
  const instance = pino(
    {
      level: options.level ?? "info",
      base: options.fields ?? null,
      messageKey: "message",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return wrap(instance);
}
