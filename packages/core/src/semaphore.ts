/**
 * Ranked, FIFO-fair async semaphore; `Mutex` is the one-permit case.
 *
 * Fairness: a released permit is handed directly to the oldest waiter that has not been
 * aborted, so no later caller can overtake a waiter. Aborting a waiter removes it from the
 * line and rejects its promise with the signal's KernelError.
 */

import { CoreErrorCode } from "./error-codes.ts";
import { KernelError } from "./errors.ts";
import { assertMayAcquire, type RankedLockIdentity, runHolding } from "./lock-order.ts";
import { abortError } from "./signals.ts";

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? (Symbol.for("Symbol.dispose") as typeof Symbol.dispose);

export interface LockOptions {
  /** Aborting this while waiting removes the caller from the line and rejects with its reason. */
  signal?: AbortSignal;
}

/** Proof of holding a permit. Release exactly once, by `release()` or a `using` declaration. */
export interface LockGuard extends Disposable {
  readonly lock: Semaphore;
  readonly released: boolean;
  release(): void;
}

interface Waiter {
  resolve: (guard: LockGuard) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

class Guard implements LockGuard {
  released = false;
  constructor(readonly lock: Semaphore) {}

  release(): void {
    this.lock.release(this);
  }

  [disposeSymbol](): void {
    this.release();
  }
}

export interface SemaphoreOptions {
  name: string;
  rank: number;
  permits: number;
  /** Distinguishes instances of one named lock, e.g. the key of a per-key lock. */
  label?: string;
}

export class Semaphore implements RankedLockIdentity {
  readonly name: string;
  readonly rank: number;
  readonly label: string | undefined;
  readonly permits: number;
  #available: number;
  #waiters: Array<Waiter | undefined> = [];
  #head = 0;
  #waiting = 0;

  constructor(options: SemaphoreOptions) {
    if (!Number.isInteger(options.permits) || options.permits < 1) {
      throw new KernelError(CoreErrorCode.lockInvalid, `lock ${options.name}: permits must be an integer ≥ 1`, {
        details: { permits: options.permits },
      });
    }
    if (!Number.isFinite(options.rank)) {
      throw new KernelError(CoreErrorCode.lockInvalid, `lock ${options.name}: rank must be a finite number`);
    }
    this.name = options.name;
    this.rank = options.rank;
    this.label = options.label;
    this.permits = options.permits;
    this.#available = options.permits;
  }

  /** Permits free right now. */
  get available(): number {
    return this.#available;
  }

  /** Callers waiting in line. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Takes a permit, waiting in FIFO order. Throws `LOCK_ORDER` / `LOCK_REENTRANT` at once on misuse. */
  acquire(options?: LockOptions): Promise<LockGuard> {
    assertMayAcquire(this);
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.#available > 0 && this.#waiting === 0) {
      this.#available -= 1;
      return Promise.resolve(new Guard(this));
    }
    return new Promise<LockGuard>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined, done: false };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (waiter.done) return;
          waiter.done = true;
          this.#waiting -= 1;
          reject(abortError(signal));
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#waiting += 1;
    });
  }

  /** Takes a permit only if one is free and nobody is waiting. */
  tryAcquire(): LockGuard | undefined {
    assertMayAcquire(this);
    if (this.#available > 0 && this.#waiting === 0) {
      this.#available -= 1;
      return new Guard(this);
    }
    return undefined;
  }

  /** Runs `callback` holding a permit; nested acquisitions inside it are order-checked. */
  async withLock<T>(callback: () => T | Promise<T>, options?: LockOptions): Promise<T> {
    const guard = await this.acquire(options);
    try {
      return await runHolding(this, callback);
    } finally {
      guard.release();
    }
  }

  /** Gives a permit back. `LOCK_NOT_HELD` for a guard of another lock or one already released. */
  release(guard: LockGuard): void {
    if (!(guard instanceof Guard) || guard.lock !== this) {
      throw new KernelError(
        CoreErrorCode.lockNotHeld,
        `release of ${this.name} with a guard that does not belong to it`,
      );
    }
    if (guard.released) {
      throw new KernelError(CoreErrorCode.lockNotHeld, `${this.name} released twice by the same holder`);
    }
    guard.released = true;
    const next = this.#nextWaiter();
    if (next === undefined) {
      this.#available += 1;
      return;
    }
    next.done = true;
    this.#waiting -= 1;
    if (next.onAbort !== undefined) next.signal?.removeEventListener("abort", next.onAbort);
    next.resolve(new Guard(this));
  }

  #nextWaiter(): Waiter | undefined {
    while (this.#head < this.#waiters.length) {
      const waiter = this.#waiters[this.#head];
      this.#waiters[this.#head] = undefined;
      this.#head += 1;
      if (waiter !== undefined && !waiter.done) {
        this.#compact();
        return waiter;
      }
    }
    this.#waiters = [];
    this.#head = 0;
    return undefined;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
  }
}
