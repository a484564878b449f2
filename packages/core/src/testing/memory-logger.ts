/** A Logger that keeps every record in memory so tests can assert on what was logged. */

import { createLogger, type Logger, type LogLevel, type LogRecord } from "../logger.ts";

export interface MemoryLogger extends Logger {
  readonly records: LogRecord[];
  /** Records at `level`, optionally whose message contains `text`. */
  find(level: LogLevel, text?: string): LogRecord[];
}

export function createMemoryLogger(level: LogLevel = "debug"): MemoryLogger {
  const records: LogRecord[] = [];
  const logger = createLogger({ level, write: (record) => records.push(record) });
  return Object.assign(logger, {
    records,
    find: (wanted: LogLevel, text?: string) =>
      records.filter((record) => record.level === wanted && (text === undefined || record.message.includes(text))),
  });
}
