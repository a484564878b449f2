/** A Logger that drops everything, for callers that pass none. */

import type { Logger } from "@oxios/core";

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
