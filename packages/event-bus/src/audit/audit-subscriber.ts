/**
 * AuditSubscriber: records every auditable bus event in an audit trail, and never drops one.
 *
 * It listens synchronously (so the bus can never count it as dropped), appends each event to
 * an in-memory backlog, and a single owned drain task group-commits the backlog to the trail
 * in batches. Backlog and its high-water mark are in `stats()`; `flush()` waits until
 * everything received so far is durable. When the store fails, the failed events stay at the
 * head of the backlog (the trail has already reported the failure) and are retried after
 * `retryMs` on the injected clock, or at once by `flush()`.
 *
 * With a window, the gathered events do not wait for it to end when another writer starts a
 * transaction on the trail (the tool gate recording a decision before the call runs): they
 * join that transaction, ahead of its entry, so a run pays one durable write where it paid two.
 *
 * Closing the trail first flushes and detaches the subscriber (through `AuditTrail.onClose`),
 * so the order of `trail.close()` and `detach()` does not matter. Should the trail refuse an
 * append as closed all the same (`AUDIT_CLOSED`), the subscriber stops for good: it stops
 * listening, logs one error, counts the events it could not record in `stats().lost`, and
 * retries nothing.
 */

import { type Clock, KernelError, type Logger, systemClock, type Timer } from "@oxios/core";
import { EventBusErrorCode } from "../error-codes.ts";
import type { EventBus } from "../event-bus.ts";
import type { KernelEvent, KernelEventType } from "../events.ts";
import { kernelEventTypes } from "../validate-event.ts";
import { type AuditInput, normalizeAuditInput } from "./audit-entry.ts";
import type { AuditTrail } from "./audit-trail.ts";

/**
 * Types not audited by default: streamed agent output and progress ticks are telemetry, not
 * actions; `audit.failed` is about the audit itself and would feed back into a failing store.
 */
export const UNAUDITED_EVENT_TYPES: readonly KernelEventType[] = Object.freeze([
  "agent.output",
  "memory.reembed-progress",
  "audit.failed",
]);

/** Every type the audit subscriber records by default. */
export const AUDITED_EVENT_TYPES: readonly KernelEventType[] = Object.freeze(
  kernelEventTypes.filter((type) => !UNAUDITED_EVENT_TYPES.includes(type)),
);

// Most specific first; the agent comes late because it is usually the actor, not the object.
const resourceFields = [
  "taskId",
  "callId",
  "approvalId",
  "scheduleId",
  "memoryId",
  "seedId",
  "groupId",
  "spaceId",
  "runId",
  "sessionId",
  "agentId",
  "subscriber",
] as const;

/**
 * How an event becomes an audit entry: the action is the event type, the actor who decided
 * when the payload says so (`by`: an approval's decider), else the agent when the payload
 * names one, else the publishing component; the resource the payload's
 * most specific id, and the details carry the event id, source and payload.
 */
export function auditInputOf(event: KernelEvent): AuditInput {
  const payload = event.payload as Record<string, unknown>;
  const agentId = payload.agentId;
  const decidedBy = payload.by;
  let resource = "";
  for (const field of resourceFields) {
    const value = payload[field];
    if (typeof value === "string") {
      resource = `${field.slice(0, -2) || field}:${value}`;
      break;
    }
  }
  return {
    at: event.at,
    actor:
      typeof decidedBy === "string" && decidedBy.length > 0
        ? decidedBy
        : typeof agentId === "string" && agentId.length > 0
          ? `agent:${agentId}`
          : event.source || "unknown",
    action: event.type,
    resource,
    details: { eventId: event.id, source: event.source, payload },
  };
}

function recordableInputOf(event: KernelEvent): AuditInput {
  const input = auditInputOf(event);
  try {
    normalizeAuditInput(input);
    return input;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ...input, details: { eventId: event.id, source: event.source, unrecordable: reason } };
  }
}

export interface AuditSubscriberOptions {
  bus: EventBus;
  trail: AuditTrail;
  /** Event types to record; default `AUDITED_EVENT_TYPES`. */
  types?: readonly KernelEventType[];
  /** Events per `appendMany` (one transaction). Default 1,000. */
  batchSize?: number;
  /** Delay before retrying after a store failure. Default 1,000 ms. */
  retryMs?: number;
  /**
   * How long to gather events after the first one before writing them, on the Clock, so that
   * under load many events share one durable transaction (a synchronous fsync each) instead of
   * one per tick. `flush()` does not wait for it. Default 0: write after one microtask.
   */
  windowMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface AuditSubscriberStats {
  /** Events received from the bus. */
  readonly received: number;
  /** Events durable in the trail. */
  readonly recorded: number;
  /** Received and not yet durable (queued or being written). */
  readonly backlog: number;
  /** The largest backlog seen. */
  readonly highWater: number;
  /** Failed batch writes (each retried, unless the trail was closed). */
  readonly failures: number;
  /** Events received but never recorded because the trail was closed before they were. */
  readonly lost: number;
}

export class AuditSubscriber {
  readonly #trail: AuditTrail;
  readonly #batchSize: number;
  readonly #retryMs: number;
  readonly #windowMs: number;
  /** Ends the current gathering window early (flush). */
  #endWindow: (() => void) | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #unsubscribe: () => void;
  readonly #removeCloseHook: () => void;
  #backlog: KernelEvent[] = [];
  #head = 0;
  #received = 0;
  #recorded = 0;
  #highWater = 0;
  #failures = 0;
  #lost = 0;
  #lastError: unknown;
  /** Set once the trail refused an append as closed; nothing is recorded after that. */
  #stopped: KernelError | undefined;
  #drain: Promise<boolean> | undefined;
  #retry: Timer | undefined;
  #detached = false;
  /** A batch handed to another writer's transaction during the window; the drain settles it. */
  #joined: { size: number; written: Promise<{ ok: true } | { ok: false; error: unknown }> } | undefined;
  readonly #stopJoining: () => void;
  /** Flushes waiting: no new window starts while one does. */
  #flushing = 0;

  constructor(options: AuditSubscriberOptions) {
    this.#trail = options.trail;
    this.#batchSize = options.batchSize ?? 1000;
    this.#retryMs = options.retryMs ?? 1000;
    this.#windowMs = options.windowMs ?? 0;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new KernelError(EventBusErrorCode.auditInvalid, "batchSize must be an integer ≥ 1");
    }
    if (!(this.#windowMs >= 0) || !Number.isFinite(this.#windowMs)) {
      throw new KernelError(EventBusErrorCode.auditInvalid, "windowMs must be a finite number ≥ 0");
    }
    this.#stopJoining = this.#trail.onTransactionStart(() => this.#joinTransaction());
    this.#unsubscribe = options.bus.on(options.types ?? AUDITED_EVENT_TYPES, (event) => this.#receive(event), {
      name: "audit",
    });
    this.#removeCloseHook = this.#trail.onClose(() => this.detach());
  }

  stats(): AuditSubscriberStats {
    return {
      received: this.#received,
      recorded: this.#recorded,
      backlog: this.#received - this.#recorded - this.#lost,
      highWater: this.#highWater,
      failures: this.#failures,
      lost: this.#lost,
    };
  }

  /**
   * Resolves when every event received so far is durable. If the store fails meanwhile it
   * retries once at once and rejects with the store's error if that fails too; the events
   * stay in the backlog either way. Throws: `AUDIT_CLOSED` when the trail was closed before
   * every event was recorded (the missing ones are counted in `stats().lost`).
   */
  async flush(): Promise<void> {
    const target = this.#received;
    let retried = false;
    this.#flushing += 1;
    try {
      this.#endWindow?.();
      while (this.#recorded + this.#lost < target) {
        this.#retry?.cancel();
        this.#retry = undefined;
        this.#drain ??= this.#runDrain();
        const ok = await this.#drain;
        if (!ok) {
          if (retried) throw this.#lastError;
          retried = true;
        }
      }
    } finally {
      this.#flushing -= 1;
    }
    if (this.#stopped !== undefined && this.#lost > 0) throw this.#stopped;
  }

  /**
   * Stops listening, then flushes what was received. Once the trail has refused an append as
   * closed it resolves without flushing: that loss was logged and counted once already.
   * Throws: the store's error when the flush fails twice (no retry is left scheduled).
   */
  async detach(): Promise<void> {
    if (!this.#detached) {
      this.#detached = true;
      this.#unsubscribe();
      this.#stopJoining();
      this.#removeCloseHook();
    }
    try {
      if (this.#stopped === undefined) await this.flush();
    } finally {
      this.#retry?.cancel();
      this.#retry = undefined;
    }
  }

  #receive(event: KernelEvent): void {
    this.#backlog.push(event);
    this.#received += 1;
    const backlog = this.#received - this.#recorded;
    if (backlog > this.#highWater) this.#highWater = backlog;
    if (this.#retry === undefined) this.#drain ??= this.#runDrain();
  }

  /**
   * Another writer is starting a transaction while this subscriber gathers events: start the
   * first batch's append now, so it joins that transaction, and end the window; the drain
   * then settles that append as it would its own.
   */
  #joinTransaction(): void {
    const endWindow = this.#endWindow;
    if (endWindow === undefined || this.#joined !== undefined) return;
    const batch = this.#backlog.slice(this.#head, this.#head + this.#batchSize);
    if (batch.length === 0) return;
    this.#joined = {
      size: batch.length,
      written: this.#record(batch).then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    };
    endWindow();
  }

  /** Drains the backlog; resolves false if a write failed (a retry is then scheduled). */
  /** Yields (for the window, if any, unless a flush waits) so a burst lands in few, large batches. */
  #gather(): Promise<void> {
    if (this.#windowMs === 0 || this.#flushing > 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = this.#clock.setTimer(() => this.#endWindow?.(), this.#windowMs);
      this.#endWindow = () => {
        timer.cancel();
        this.#endWindow = undefined;
        resolve();
      };
    });
  }

  async #runDrain(): Promise<boolean> {
    await this.#gather();
    try {
      while (this.#head < this.#backlog.length) {
        const joined = this.#joined;
        this.#joined = undefined;
        let size: number;
        try {
          if (joined === undefined) {
            const batch = this.#backlog.slice(this.#head, this.#head + this.#batchSize);
            size = batch.length;
            await this.#record(batch);
          } else {
            size = joined.size;
            const outcome = await joined.written;
            if (!outcome.ok) throw outcome.error;
          }
        } catch (error) {
          if (KernelError.hasCode(error, EventBusErrorCode.auditClosed)) {
            this.#stop(error as KernelError);
            return true;
          }
          this.#failures += 1;
          this.#lastError = error;
          this.#logger?.warn("audit batch not recorded; kept in the backlog for retry", {
            error,
            events: joined?.size ?? Math.min(this.#batchSize, this.#backlog.length - this.#head),
            retryMs: this.#retryMs,
          });
          this.#scheduleRetry();
          return false;
        }
        this.#head += size;
        this.#recorded += size;
        if (this.#head > 4096 && this.#head * 2 > this.#backlog.length) {
          this.#backlog = this.#backlog.slice(this.#head);
          this.#head = 0;
        }
        // The joined write ended the window early: what arrived since gathers for a new one
        // rather than paying a transaction of its own at once.
        if (joined !== undefined && this.#head < this.#backlog.length) await this.#gather();
      }
      return true;
    } finally {
      this.#drain = undefined;
    }
  }

  /** The trail is closed: stop listening, count what is left as lost, say so once. */
  #stop(error: KernelError): void {
    this.#stopped = error;
    if (!this.#detached) {
      this.#detached = true;
      this.#unsubscribe();
      this.#stopJoining();
      this.#removeCloseHook();
    }
    this.#retry?.cancel();
    this.#retry = undefined;
    const lost = this.#backlog.length - this.#head;
    this.#lost += lost;
    this.#backlog = [];
    this.#head = 0;
    this.#logger?.error("the audit trail was closed while the audit subscriber was attached; it stopped recording", {
      code: error.code,
      lost,
    });
  }

  async #record(batch: readonly KernelEvent[]): Promise<void> {
    try {
      await this.#trail.appendMany(batch.map(auditInputOf));
    } catch (error) {
      if (!KernelError.hasCode(error, EventBusErrorCode.auditInvalid)) throw error;
      // A payload the canonical encoding cannot hold (a bigint, a cycle) must not block the
      // backlog forever: record that event as unrecordable, with its identity, instead.
      await this.#trail.appendMany(batch.map(recordableInputOf));
    }
  }

  #scheduleRetry(): void {
    this.#retry?.cancel();
    this.#retry = this.#clock.setTimer(() => {
      this.#retry = undefined;
      this.#drain ??= this.#runDrain();
    }, this.#retryMs);
  }
}
