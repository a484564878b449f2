/**
 * RequestQueue: starts queued request handlers in slices of at most `sliceMs` of the event
 * loop, one slice per loop turn (`setImmediate`), in arrival order. A burst of a thousand
 * requests parsed in one turn then costs that turn only the parsing: the handlers start over
 * the following turns, and between two slices the loop polls its sockets again — so a
 * request answered at parse time (the liveness answer of serve-node.ts) waits for one slice,
 * not for the whole burst's handlers. Handlers are never dropped or reordered; a handler that
 * throws is reported to `onError` and the next one starts.
 */

export class RequestQueue {
  readonly #sliceMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #now: () => number;
  #pending: Array<() => void> = [];
  #next = 0;
  #scheduled = false;

  /** `now`: a monotonic clock in ms, default `performance.now`. */
  constructor(options: { sliceMs: number; onError: (error: unknown) => void; now?: () => number }) {
    this.#sliceMs = options.sliceMs;
    this.#onError = options.onError;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Handlers waiting to start. */
  get size(): number {
    return this.#pending.length - this.#next;
  }

  push(start: () => void): void {
    this.#pending.push(start);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#slice);
    }
  }

  readonly #slice = (): void => {
    const until = this.#now() + this.#sliceMs;
    do {
      const start = this.#pending[this.#next] as () => void;
      this.#next++;
      try {
        start();
      } catch (error) {
        this.#onError(error);
      }
    } while (this.#next < this.#pending.length && this.#now() < until);
    if (this.#next < this.#pending.length) {
      setImmediate(this.#slice);
      return;
    }
    this.#pending = [];
    this.#next = 0;
    this.#scheduled = false;
  };
}
