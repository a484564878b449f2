/**
 * EventBus: the kernel's in-process event bus, with nanoevents as its synchronous core.
 *
 * - `publish(event)` validates cheaply (`EVENT_INVALID` before anything is delivered), then
 *   delivers synchronously and returns `{ delivered, dropped }` — a drop is never silent.
 * - Synchronous listeners (`on`) are the fast path. A listener that throws is isolated: the
 *   remaining listeners still run, the publisher never sees the error, and the bus logs it
 *   and publishes `bus.listener-failed`.
 * - Buffered subscriptions (`subscribe`) are async iterators with bounded queues; overflow is
 *   counted and reported by one `bus.lagged` per lag episode (see `subscription.ts`).
 * - Ordering: delivery is synchronous and depth-first, so every subscriber sees one
 *   publisher's events in the order that publisher published them. An event published from
 *   inside a listener is delivered in full before the outer publish continues.
 *
 * Listeners and subscriptions are registered in nanoevents emitters keyed by event type
 * (a prefix or wildcard selector is expanded to the known types once, at registration), so a
 * publish is one table lookup. The bus walks nanoevents' listener array itself instead of
 * calling `emit`, so one try/catch around the loop isolates a throwing listener without
 * wrapping every listener in a closure; nanoevents' copy-on-unbind arrays give each publish
 * a stable snapshot.
 */

import { KernelError, type Logger } from "@oxios/core";
import { createNanoEvents, type Emitter } from "nanoevents";
import { EventBusErrorCode } from "./error-codes.ts";
import type { KernelEvent, KernelEventOf, KernelEventType } from "./events.ts";
import { createEvent, type EventPublisher, type PublishResult } from "./publisher.ts";
import { Subscription, type SubscriptionHost, type SubscriptionStats } from "./subscription.ts";
import { isKernelEventType, kernelEventTypes, validateEvent } from "./validate-event.ts";

/**
 * Which events a listener or subscription receives: `"*"` (all), one type, a list of types,
 * or `{ types?, prefix? }` (an event matches when its type is listed or starts with `prefix`).
 */
export type EventSelector =
  | "*"
  | KernelEventType
  | readonly KernelEventType[]
  | { readonly types?: readonly KernelEventType[]; readonly prefix?: string };

export type EventListener<Event = KernelEvent> = (event: Event) => void;

export interface ListenerOptions {
  /** Named in `bus.listener-failed` and logs; defaults to the function's name. */
  name?: string;
}

export interface SubscribeOptions {
  /** Unique among open subscriptions; named in `bus.lagged`. */
  name: string;
  /** Queue capacity (integer ≥ 1). Events beyond it are lost and counted. */
  bufferSize: number;
  types?: readonly KernelEventType[];
  prefix?: string;
}

export interface EventBusOptions {
  /** Where isolated listener failures and lag episodes are logged. */
  logger?: Logger;
  /** Time source for the events the bus publishes itself; defaults to `Date.now`. */
  now?: () => number;
  /** `source` of the bus's own events. */
  source?: string;
}

export interface EventBusStats {
  readonly published: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly listenerFailures: number;
  readonly listeners: number;
  readonly subscriptions: readonly SubscriptionStats[];
}

type Unsubscribe = () => void;
type Callback = (event: KernelEvent) => void;
type Offer = (event: KernelEvent) => boolean;

// Results are immutable, so the common "no drops" ones are shared instead of allocated per publish.
const noDrops: readonly PublishResult[] = Array.from({ length: 65 }, (_, delivered) =>
  Object.freeze({ delivered, dropped: 0 }),
);

/** Resolves a selector to the concrete event types it matches; `BUS_SELECTOR_INVALID` if none. */
export function selectEventTypes(selector: EventSelector): KernelEventType[] {
  if (selector === "*") return [...kernelEventTypes];
  let listed: readonly unknown[];
  let prefix: unknown;
  if (typeof selector === "string") listed = [selector];
  else if (Array.isArray(selector)) listed = selector;
  else {
    const spec = selector as { types?: unknown; prefix?: unknown };
    listed = spec.types === undefined ? [] : Array.isArray(spec.types) ? spec.types : [spec.types];
    prefix = spec.prefix;
  }
  for (const type of listed) {
    if (!isKernelEventType(type)) {
      throw new KernelError(EventBusErrorCode.busSelectorInvalid, `unknown event type ${JSON.stringify(type)}`, {
        details: { type },
      });
    }
  }
  if (prefix !== undefined && typeof prefix !== "string") {
    throw new KernelError(EventBusErrorCode.busSelectorInvalid, "prefix must be a string");
  }
  const selected = kernelEventTypes.filter(
    (type) => listed.includes(type) || (typeof prefix === "string" && type.startsWith(prefix)),
  );
  if (selected.length === 0) {
    throw new KernelError(EventBusErrorCode.busSelectorInvalid, "the selector matches no event type", {
      details: { types: listed, prefix },
    });
  }
  return selected;
}

function errorOf(value: unknown): { code: string; message: string } {
  if (KernelError.isInstance(value)) return { code: value.code, message: value.message };
  return { code: EventBusErrorCode.busListenerFailed, message: value instanceof Error ? value.message : String(value) };
}

export class EventBus implements EventPublisher {
  readonly #listeners: Emitter<Record<string, Callback>> = createNanoEvents();
  readonly #subscriptions: Emitter<Record<string, Offer>> = createNanoEvents();
  readonly #listenerNames = new Map<Callback, string>();
  readonly #open = new Map<string, { subscription: Subscription; unbind: Unsubscribe[] }>();
  readonly #host: SubscriptionHost;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #source: string;
  #listenerCount = 0;
  #published = 0;
  #delivered = 0;
  #dropped = 0;
  #listenerFailures = 0;
  #closed = false;

  constructor(options: EventBusOptions = {}) {
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#source = options.source ?? "event-bus";
    this.#host = {
      lagEnded: (subscription, lost) => this.#lagEnded(subscription, lost),
      detach: (subscription) => this.#detach(subscription),
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Delivers `event` to every matching listener and subscription, synchronously.
   * Throws `EVENT_INVALID` (nothing delivered) for a malformed event, `BUS_CLOSED` after `close()`.
   */
  publish(event: KernelEventOf<KernelEventType>): PublishResult {
    if (this.#closed) {
      throw new KernelError(EventBusErrorCode.busClosed, `publish of ${event.type} after the bus was closed`, {
        details: { type: event.type },
      });
    }
    validateEvent(event);
    const type = event.type;
    this.#published += 1;
    let delivered = 0;
    let dropped = 0;
    const listeners = this.#listeners.events[type];
    if (listeners !== undefined && listeners.length > 0) {
      delivered = this.#callListeners(listeners, event as KernelEvent);
    }
    const offers = this.#subscriptions.events[type];
    if (offers !== undefined) {
      for (let index = 0, length = offers.length; index < length; index++) {
        if ((offers[index] as Offer)(event as KernelEvent)) delivered += 1;
        else dropped += 1;
      }
    }
    this.#delivered += delivered;
    if (dropped === 0) return noDrops[delivered] ?? { delivered, dropped };
    this.#dropped += dropped;
    return { delivered, dropped };
  }

  /** Whether an event of `type` published now would reach any listener or subscription. */
  isObserved(type: KernelEventType): boolean {
    return (this.#listeners.events[type]?.length ?? 0) > 0 || (this.#subscriptions.events[type]?.length ?? 0) > 0;
  }

  /** Registers a synchronous listener. It must be fast and should not throw (a throw is isolated and reported). */
  on<Type extends KernelEventType>(
    type: Type,
    listener: EventListener<KernelEventOf<Type>>,
    options?: ListenerOptions,
  ): Unsubscribe;
  on(selector: EventSelector, listener: EventListener, options?: ListenerOptions): Unsubscribe;
  on(selector: EventSelector, listener: EventListener, options: ListenerOptions = {}): Unsubscribe {
    this.#assertOpen("on");
    const types = selectEventTypes(selector);
    // nanoevents unbinds by identity, so a function registered twice gets a wrapper the second
    // time; the common case stays unwrapped on the hot path.
    const callback: Callback = this.#listenerNames.has(listener) ? (event) => listener(event) : listener;
    this.#listenerNames.set(callback, options.name ?? (listener.name || "anonymous listener"));
    const unbind = types.map((type) => this.#listeners.on(type, callback));
    this.#listenerCount += 1;
    let bound = true;
    return () => {
      if (!bound) return;
      bound = false;
      for (const off of unbind) off();
      this.#listenerNames.delete(callback);
      this.#listenerCount -= 1;
    };
  }

  /** Opens a buffered subscription: an async iterator over matching events with a bounded queue. */
  subscribe(options: SubscribeOptions): Subscription {
    this.#assertOpen("subscribe");
    const { name, bufferSize } = options;
    if (typeof name !== "string" || name.length === 0) {
      throw new KernelError(EventBusErrorCode.busSubscriptionInvalid, "a subscription needs a name");
    }
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw new KernelError(
        EventBusErrorCode.busSubscriptionInvalid,
        `subscription ${name}: bufferSize must be an integer ≥ 1`,
        {
          details: { bufferSize },
        },
      );
    }
    if (this.#open.has(name)) {
      throw new KernelError(EventBusErrorCode.busSubscriptionExists, `a subscription named ${name} is already open`);
    }
    const selector =
      options.types === undefined && options.prefix === undefined
        ? "*"
        : {
            ...(options.types === undefined ? {} : { types: options.types }),
            ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
          };
    const types = selectEventTypes(selector);
    const subscription = new Subscription(name, bufferSize, this.#host);
    const offer: Offer = (event) => subscription.offer(event);
    this.#open.set(name, { subscription, unbind: types.map((type) => this.#subscriptions.on(type, offer)) });
    return subscription;
  }

  /**
   * Closes the bus: reports unfinished lag episodes, detaches every listener, and ends every
   * subscription (its consumer drains what is queued, then the iterator is done). Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    for (const { subscription } of [...this.#open.values()]) subscription.end();
    this.#closed = true;
    this.#listeners.events = {};
    this.#listenerNames.clear();
    this.#listenerCount = 0;
  }

  stats(): EventBusStats {
    return {
      published: this.#published,
      delivered: this.#delivered,
      dropped: this.#dropped,
      listenerFailures: this.#listenerFailures,
      listeners: this.#listenerCount,
      subscriptions: [...this.#open.values()].map(({ subscription }) => subscription.stats()),
    };
  }

  #callListeners(callbacks: Callback[], event: KernelEvent): number {
    const length = callbacks.length;
    let index = 0;
    while (index < length) {
      try {
        for (; index < length; index++) (callbacks[index] as Callback)(event);
      } catch (error) {
        this.#listenerFailed(callbacks[index] as Callback, event, error);
        index += 1;
      }
    }
    return length;
  }

  #listenerFailed(callback: Callback, event: KernelEvent, error: unknown): void {
    this.#listenerFailures += 1;
    const listener = this.#listenerNames.get(callback) ?? "detached listener";
    this.#logger?.error("event listener threw; isolated from the publisher", {
      listener,
      eventType: event.type,
      eventId: event.id,
      error,
    });
    // Never report a failure to handle a failure report: that could loop forever.
    if (event.type === "bus.listener-failed") return;
    this.publish(
      createEvent(
        "bus.listener-failed",
        { listener, eventType: event.type, error: errorOf(error) },
        this.#source,
        this.#now(),
      ),
    );
  }

  #lagEnded(subscription: Subscription, lost: number): void {
    this.#logger?.warn("subscription lagged; events lost", { subscriber: subscription.name, lost });
    if (this.#closed) return;
    this.publish(createEvent("bus.lagged", { subscriber: subscription.name, lost }, this.#source, this.#now()));
  }

  #detach(subscription: Subscription): void {
    const entry = this.#open.get(subscription.name);
    if (entry === undefined || entry.subscription !== subscription) return;
    this.#open.delete(subscription.name);
    for (const off of entry.unbind) off();
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw new KernelError(EventBusErrorCode.busClosed, `${operation} after the bus was closed`);
  }
}
