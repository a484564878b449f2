/**
 * Per-key write coalescing, serialized by a ranked per-key lock.
 *
 * Contract (also in the README): every operation gets a sequence number when it is called.
 * For one key at most one operation is in flight. While it is in flight, later operations
 * wait in a single pending slot where each newer one replaces the older; when the in-flight
 * one finishes, the pending one (the newest) runs next. A caller's promise resolves once an
 * operation with its sequence number or a greater one is durable, and rejects with the
 * error of the operation that carried it if that one fails. So once every call has
 * resolved, the file holds the value of the operation called last.
 */

import { kernelLocks, type Mutex } from "@oxios/core";

export type StateFormat = "json" | "md";

export type KeyOperation =
  | { kind: "write"; format: StateFormat; bytes: Uint8Array }
  /**
   * `onlyIfSavedAtOrBefore`: delete only if the stored value is not newer than this time
   * (session pruning); such a delete never displaces a pending write.
   */
  | { kind: "delete"; onlyIfSavedAtOrBefore?: number; onRemoved?: () => void };

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Batch {
  seq: number;
  operation: KeyOperation;
  waiters: Waiter[];
}

interface KeyState {
  readonly lock: Mutex;
  pending: Batch | undefined;
  inFlight: Batch | undefined;
  durableSeq: number;
  /** Calls that have a sequence number but have not submitted yet (async validation). */
  reserved: number;
  loop: Promise<void> | undefined;
}

/** A sequence number taken at call time for one key. */
export interface Ticket {
  readonly key: string;
  readonly seq: number;
}

export class CoalescingWriter {
  readonly #keys = new Map<string, KeyState>();
  readonly #perform: (key: string, operation: KeyOperation) => Promise<void>;
  #seq = 0;

  constructor(perform: (key: string, operation: KeyOperation) => Promise<void>) {
    this.#perform = perform;
  }

  /** Takes the next sequence number for `key`; follow with `submit` or `cancel`. */
  reserve(key: string): Ticket {
    const state = this.#state(key);
    state.reserved += 1;
    this.#seq += 1;
    return { key, seq: this.#seq };
  }

  /** Gives up a reservation (its call failed before producing an operation). */
  cancel(ticket: Ticket): void {
    const state = this.#keys.get(ticket.key);
    if (state === undefined) return;
    state.reserved -= 1;
    this.#retireIfIdle(ticket.key, state);
  }

  /** Queues `operation` under `ticket`; resolves when it or a newer operation is durable. */
  submit(ticket: Ticket, operation: KeyOperation): Promise<void> {
    const state = this.#state(ticket.key);
    state.reserved -= 1;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      const { seq } = ticket;
      if (seq <= state.durableSeq) {
        resolve();
      } else if (state.inFlight !== undefined && seq <= state.inFlight.seq) {
        state.inFlight.waiters.push(waiter);
      } else if (state.pending !== undefined) {
        const displaces =
          seq > state.pending.seq &&
          !(
            operation.kind === "delete" &&
            operation.onlyIfSavedAtOrBefore !== undefined &&
            state.pending.operation.kind === "write"
          );
        if (displaces) {
          state.pending.seq = seq;
          state.pending.operation = operation;
        }
        state.pending.waiters.push(waiter);
      } else {
        state.pending = { seq, operation, waiters: [waiter] };
        if (state.loop === undefined) state.loop = this.#drain(ticket.key, state);
      }
      this.#retireIfIdle(ticket.key, state);
    });
  }

  /** Resolves when nothing is pending or in flight for any key (operations queued meanwhile included). */
  async idle(): Promise<void> {
    for (;;) {
      const loops = [...this.#keys.values()].flatMap((state) => (state.loop === undefined ? [] : [state.loop]));
      if (loops.length === 0) return;
      await Promise.all(loops);
    }
  }

  /** Keys with work pending or in flight. */
  get busyKeys(): number {
    let count = 0;
    for (const state of this.#keys.values()) if (state.loop !== undefined) count += 1;
    return count;
  }

  #state(key: string): KeyState {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = {
        lock: kernelLocks.mutex("state.key", key),
        pending: undefined,
        inFlight: undefined,
        durableSeq: 0,
        reserved: 0,
        loop: undefined,
      };
      this.#keys.set(key, state);
    }
    return state;
  }

  // Forget idle keys so the map does not grow with every key ever written. A key's state is
  // kept while a reserved call may still submit, so `durableSeq` can still absorb it.
  #retireIfIdle(key: string, state: KeyState): void {
    if (state.loop === undefined && state.pending === undefined && state.reserved === 0) this.#keys.delete(key);
  }

  async #drain(key: string, state: KeyState): Promise<void> {
    // Let the calls made in the same tick join the first batch.
    await Promise.resolve();
    for (let batch = state.pending; batch !== undefined; batch = state.pending) {
      state.pending = undefined;
      state.inFlight = batch;
      try {
        await state.lock.withLock(() => this.#perform(key, batch.operation));
        state.durableSeq = Math.max(state.durableSeq, batch.seq);
        for (const waiter of batch.waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of batch.waiters) waiter.reject(error);
      } finally {
        state.inFlight = undefined;
      }
    }
    state.loop = undefined;
    this.#retireIfIdle(key, state);
  }
}
