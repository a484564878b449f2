/**
 * @module @oxios/core/testing — fakes for tests of Oxios and of code built on it:
 * a manual clock and a logger that records.
 */
export { ManualClock, settle } from "./manual-clock.ts";
export { createMemoryLogger, type MemoryLogger } from "./memory-logger.ts";
