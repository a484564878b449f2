/**
 * @module @oxios/event-bus — typed kernel events, a bus that accounts for every delivery
 * and drop, and a tamper-evident audit trail. Portable: the durable libsql store lives on
 * `@oxios/event-bus/libsql`.
 */

export {
  AUDIT_DOMAIN_TAG,
  type AuditChainState,
  type AuditEntry,
  type AuditInput,
  EMPTY_CHAIN,
  GENESIS_HASH,
  type JsonValue,
  PRUNED_HASH,
} from "./audit/audit-entry.ts";
export type { AuditQuery, AuditStore } from "./audit/audit-store.ts";
export {
  AUDITED_EVENT_TYPES,
  AuditSubscriber,
  type AuditSubscriberOptions,
  type AuditSubscriberStats,
  auditInputOf,
  UNAUDITED_EVENT_TYPES,
} from "./audit/audit-subscriber.ts";
export {
  type AuditBreak,
  AuditTrail,
  type AuditTrailOptions,
  type AuditTrailStats,
  type AuditVerification,
  DEFAULT_AUDIT_RETENTION,
} from "./audit/audit-trail.ts";
export { MemoryAuditStore, type MemoryAuditStoreSeed } from "./audit/memory-audit-store.ts";
export { EventBusErrorCode } from "./error-codes.ts";
export {
  EventBus,
  type EventBusOptions,
  type EventBusStats,
  type EventListener,
  type EventSelector,
  type ListenerOptions,
  type SubscribeOptions,
  selectEventTypes,
} from "./event-bus.ts";
export type {
  EventError,
  KernelEvent,
  KernelEventOf,
  KernelEventPayloads,
  KernelEventType,
  Priority,
} from "./events.ts";
export { createEvent, type EventPublisher, type PublishResult } from "./publisher.ts";
export { Subscription, type SubscriptionStats } from "./subscription.ts";
export { isKernelEventType, kernelEventTypes, validateEvent } from "./validate-event.ts";
