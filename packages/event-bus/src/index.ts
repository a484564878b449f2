/**
 * @module @oxios/event-bus — typed kernel events, a bus that accounts for every delivery
 * and drop, and a tamper-evident audit trail.
 */
export type {
  EventError,
  KernelEvent,
  KernelEventOf,
  KernelEventPayloads,
  KernelEventType,
  Priority,
} from "./events.ts";
export { createEvent, type EventPublisher, type PublishResult } from "./publisher.ts";
