/** An EventPublisher that records every event, for tests of packages that publish. */

import type { KernelEvent, KernelEventOf, KernelEventType } from "../events.ts";
import type { EventPublisher, PublishResult } from "../publisher.ts";

export class RecordingPublisher implements EventPublisher {
  readonly events: KernelEvent[] = [];

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
