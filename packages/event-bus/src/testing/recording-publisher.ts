/** An EventPublisher that records every event, for tests of packages that publish. */

import type { KernelEvent, KernelEventOf, KernelEventType } from "../events.ts";
import type { EventPublisher, PublishResult } from "../publisher.ts";

export interface RecordingPublisherOptions {
  /** Types `isObserved` reports nobody observes (they are still recorded when published). Default none. */
  unobserved?: readonly KernelEventType[];
}

export class RecordingPublisher implements EventPublisher {
  readonly events: KernelEvent[] = [];
  readonly #unobserved: ReadonlySet<KernelEventType>;

  constructor(options: RecordingPublisherOptions = {}) {
    this.#unobserved = new Set(options.unobserved ?? []);
  }

  /** Every type counts as observed (this publisher records it) except the `unobserved` ones. */
  isObserved(type: KernelEventType): boolean {
    return !this.#unobserved.has(type);
  }

  publish(event: KernelEventOf<KernelEventType>): PublishResult {
    this.events.push(event as KernelEvent);
    return { delivered: 1, dropped: 0 };
  }

  /** Recorded events of one type, in publish order. */
  ofType<T extends KernelEventType>(type: T): Array<KernelEventOf<T>> {
    return this.events.filter((event): event is KernelEventOf<T> & KernelEvent => event.type === type);
  }

  types(): KernelEventType[] {
    return this.events.map((event) => event.type);
  }
}
