/**
 * The stable error codes @oxios/event-bus throws (as `KernelError.code`): the bus (`BUS_*`,
 * `EVENT_INVALID`) and the audit trail (`AUDIT_*`). Callers branch on these; messages are for
 * people and may change.
 */

import { defineErrorCodes } from "@oxios/core";

export const EventBusErrorCode = defineErrorCodes("@oxios/event-bus", {
  eventInvalid: {
    code: "EVENT_INVALID",
    kind: "invalid",
    description: "`publish` got an event whose type tag, envelope or payload fields are wrong; nothing was delivered.",
  },
  busClosed: {
    code: "BUS_CLOSED",
    kind: "unavailable",
    description: "The bus was closed before the publish, subscribe or listen.",
  },
  busSelectorInvalid: {
    code: "BUS_SELECTOR_INVALID",
    kind: "invalid",
    description: "A selector names an unknown event type, has a non-string prefix, or matches no type.",
  },
  busSubscriptionInvalid: {
    code: "BUS_SUBSCRIPTION_INVALID",
    kind: "invalid",
    description: "A subscription has no name or a buffer size that is not an integer ≥ 1.",
  },
  busSubscriptionExists: {
    code: "BUS_SUBSCRIPTION_EXISTS",
    kind: "conflict",
    description: "A subscription of that name is already open.",
  },
  busListenerFailed: {
    code: "BUS_LISTENER_FAILED",
    kind: "internal",
    description: "A listener threw something that was not a KernelError (the error of `bus.listener-failed`).",
  },
  auditInvalid: {
    code: "AUDIT_INVALID",
    kind: "invalid",
    description:
      "An audit entry or option is malformed (a payload the canonical encoding cannot hold, a bad batch size).",
  },
  auditClosed: {
    code: "AUDIT_CLOSED",
    kind: "unavailable",
    description: "Append after the audit trail was closed.",
  },
  auditHeadMoved: {
    code: "AUDIT_HEAD_MOVED",
    kind: "conflict",
    description: "Another writer appended to the store since the trail read its head; the trail re-chains and retries.",
  },
  auditStoreFailed: {
    code: "AUDIT_STORE_FAILED",
    kind: "internal",
    description: "The audit store failed a read, append or prune; `cause` has the store's error.",
  },
  auditStoreClosed: {
    code: "AUDIT_STORE_CLOSED",
    kind: "unavailable",
    description: "The audit store was closed.",
  },
});
