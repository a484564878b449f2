/**
 * A buffered subscription: an async iterator over kernel events with a bounded queue.
 *
 * The bus offers each matching event synchronously; when the queue is full the event is
 * lost and counted. A run of losses with no pull in between is one *lag episode*: it ends
 * at the consumer's next pull (or when the subscription closes), and the bus then publishes
 * exactly one `bus.lagged` naming the subscription and the episode's exact loss count.
 * Reporting at pull time rather than at drop time is what keeps `bus.lagged` from ever
 * being published from inside the publish that caused it.
 */

import type { KernelEvent } from "./events.ts";

export interface SubscriptionStats {
  readonly name: string;
  readonly bufferSize: number;
  /** Events waiting in the queue. */
  readonly buffered: number;
  /** Events accepted into the queue (or handed straight to a waiting `next()`). */
  readonly received: number;
  /** Events lost to a full queue since the subscription opened. */
  readonly lost: number;
  /** Losses in the current lag episode, not yet reported by a `bus.lagged`. */
  readonly lagging: number;
  readonly closed: boolean;
}

/** What the bus gives a subscription: where to report a finished lag episode and how to detach. */
export interface SubscriptionHost {
  lagEnded(subscription: Subscription, lost: number): void;
  detach(subscription: Subscription): void;
}

type Waiter = (result: IteratorResult<KernelEvent, undefined>) => void;

const done: IteratorResult<KernelEvent, undefined> = { value: undefined, done: true };

export class Subscription implements AsyncIterableIterator<KernelEvent, undefined> {
  readonly name: string;
  readonly bufferSize: number;
  readonly #host: SubscriptionHost;
  readonly #buffer: Array<KernelEvent | undefined>;
  #head = 0;
  #size = 0;
  #waiters: Waiter[] = [];
  #received = 0;
  #lost = 0;
  #episodeLost = 0;
  /** No more events will be offered; the queue may still hold some. */
  #ended = false;

  constructor(name: string, bufferSize: number, host: SubscriptionHost) {
    this.name = name;
    this.bufferSize = bufferSize;
    this.#host = host;
    this.#buffer = new Array<KernelEvent | undefined>(bufferSize);
  }

  /** Called by the bus for every matching event; false when the event was lost to a full queue. */
  offer(event: KernelEvent): boolean {
    if (this.#ended) return false;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#received += 1;
      waiter({ value: event, done: false });
      return true;
    }
    if (this.#size === this.bufferSize) {
      this.#lost += 1;
      this.#episodeLost += 1;
      return false;
    }
    this.#buffer[(this.#head + this.#size) % this.bufferSize] = event;
    this.#size += 1;
    this.#received += 1;
    return true;
  }

  next(): Promise<IteratorResult<KernelEvent, undefined>> {
    if (this.#size > 0) {
      const event = this.#buffer[this.#head] as KernelEvent;
      this.#buffer[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.bufferSize;
      this.#size -= 1;
      this.#endEpisode();
      return Promise.resolve({ value: event, done: false });
    }
    if (this.#ended) return Promise.resolve(done);
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  /** Leaves the subscription: detaches from the bus and discards what is still queued. */
  return(): Promise<IteratorResult<KernelEvent, undefined>> {
    this.close();
    return Promise.resolve(done);
  }

  /** Same as `return()`, without the promise. Idempotent. */
  close(): void {
    this.#buffer.fill(undefined);
    this.#size = 0;
    this.end();
  }

  /**
   * Stops accepting events but lets the consumer drain what is queued; pending `next()` calls
   * resolve as done. Reports an unfinished lag episode first. Used by `EventBus.close()`.
   */
  end(): void {
    if (this.#ended) return;
    this.#endEpisode();
    this.#ended = true;
    this.#host.detach(this);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter(done);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  stats(): SubscriptionStats {
    return {
      name: this.name,
      bufferSize: this.bufferSize,
      buffered: this.#size,
      received: this.#received,
      lost: this.#lost,
      lagging: this.#episodeLost,
      closed: this.#ended,
    };
  }

  #endEpisode(): void {
    if (this.#episodeLost === 0) return;
    const lost = this.#episodeLost;
    this.#episodeLost = 0;
    this.#host.lagEnded(this, lost);
  }
}
