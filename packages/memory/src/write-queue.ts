/**
 * A bounded write queue with group commit. `push` resolves when the item's batch has
 * committed (or rejects with that batch's error); when the queue is full, callers wait for
 * room (backpressure) instead of growing memory or dropping writes. A waiting caller's item
 * is already owned by the queue: it is admitted as soon as room frees, and `close` drains it
 * too — only a caller's own abort signal takes it back (rejecting with `ABORTED`). One drain
 * loop takes up to `maxBatch` items at a time and commits them together, so many concurrent
 * writers pay for one transaction. `flush` resolves once everything pushed before it has
 * settled; after `close`, new pushes are refused with `MEMORY_CLOSED`.
 */

import { abortError, KernelError, throwIfAborted } from "@oxios/core";
import { MemoryErrorCode } from "./error-codes.ts";

interface Pending<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

interface Blocked<Item, Result> {
  pending: Pending<Item, Result>;
  detach: () => void;
}

export interface WriteQueueOptions<Item, Result> {
  capacity: number;
  maxBatch: number;
  /** Commits a batch; returns one result per item, in order. A throw fails the whole batch. */
  commit: (items: Item[]) => Promise<Result[]>;
}

export class WriteQueue<Item, Result> {
  readonly #options: WriteQueueOptions<Item, Result>;
  readonly #items: Array<Pending<Item, Result>> = [];
  readonly #blocked: Array<Blocked<Item, Result>> = [];
  #draining: Promise<void> | undefined;
  #closed = false;
  #inFlight = 0;

  constructor(options: WriteQueueOptions<Item, Result>) {
    if (
      !Number.isInteger(options.capacity) ||
      options.capacity < 1 ||
      !Number.isInteger(options.maxBatch) ||
      options.maxBatch < 1
    ) {
      throw new KernelError(MemoryErrorCode.configInvalid, "write queue capacity and batch must be integers ≥ 1");
    }
    this.#options = options;
  }

  /** Items not yet committed: queued, blocked waiting for room, or in the batch being committed. */
  get pending(): number {
    return this.#items.length + this.#blocked.length + this.#inFlight;
  }

  /** Callers waiting for room. */
  get blocked(): number {
    return this.#blocked.length;
  }

  push(item: Item, signal?: AbortSignal): Promise<Result> {
    if (this.#closed) {
      return Promise.reject(new KernelError(MemoryErrorCode.closed, "the memory store is closing"));
    }
    try {
      throwIfAborted(signal);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<Result>((resolve, reject) => {
      const pending: Pending<Item, Result> = { item, resolve, reject };
      if (this.#items.length < this.#options.capacity) {
        this.#items.push(pending);
      } else {
        const onAbort = (): void => {
          const index = this.#blocked.indexOf(blocked);
          if (index < 0) return;
          this.#blocked.splice(index, 1);
          reject(abortError(signal as AbortSignal));
        };
        const blocked: Blocked<Item, Result> = {
          pending,
          detach: () => signal?.removeEventListener("abort", onAbort),
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        this.#blocked.push(blocked);
      }
      this.#startDrain();
    });
  }

  /** Resolves when everything pushed so far has committed or failed. */
  async flush(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  /** Refuses new pushes, then drains everything already pushed (blocked callers included). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #admitBlocked(): void {
    while (this.#items.length < this.#options.capacity && this.#blocked.length > 0) {
      const next = this.#blocked.shift() as Blocked<Item, Result>;
      next.detach();
      this.#items.push(next.pending);
    }
  }

  #startDrain(): void {
    if (this.#draining !== undefined) return;
    this.#draining = this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      // Callers that push in the same turn of the event loop (`Promise.all` of many writes)
      // share the first batch instead of the first caller committing alone.
      await Promise.resolve();
      while (this.#items.length > 0) {
        const batch = this.#items.splice(0, this.#options.maxBatch);
        this.#admitBlocked();
        this.#inFlight = batch.length;
        try {
          const results = await this.#options.commit(batch.map((pending) => pending.item));
          batch.forEach((pending, index) => {
            pending.resolve(results[index] as Result);
          });
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        } finally {
          this.#inFlight = 0;
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }
}
