/**
 * The Logger port: leveled, structured log lines. There is no global logger; whoever
 * composes the kernel passes one in, and `child()` adds fields such as the package name.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LogRecord {
  level: LogLevel;
  message: string;
  time: string;
  fields: LogFields;
}

const levelOrder: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger that hands each record at or above `level` to `write`. */
export function createLogger(options: {
  level?: LogLevel;
  fields?: LogFields;
  write: (record: LogRecord) => void;
}): Logger {
  const minimum = levelOrder[options.level ?? "info"];
  const base = options.fields ?? {};
  const emit = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (levelOrder[level] < minimum) return;
    options.write({ level, message, time: new Date().toISOString(), fields: { ...base, ...fields } });
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/**
 * The logger that drops everything, for those who want a package silent. Every package's
 * default is `createConsoleLogger({ level: "warn" })`, so problems are seen unless silenced.
 */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

function serializeField(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? { message: value.message } : { code, message: value.message };
  }
  return value;
}

/** A logger writing one JSON line per record to the console (warn/error to stderr). */
export function createConsoleLogger(options: { level?: LogLevel; fields?: LogFields } = {}): Logger {
  return createLogger({
    ...options,
    write: (record) => {
      const fields = Object.fromEntries(Object.entries(record.fields).map(([k, v]) => [k, serializeField(v)]));
      const line = JSON.stringify({ time: record.time, level: record.level, message: record.message, ...fields });
      if (record.level === "warn" || record.level === "error") console.error(line);
      else console.log(line);
    },
  });
}
