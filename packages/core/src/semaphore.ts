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

/**
 * See the module comment. Each public method's comment says how it fails ("Throws:") and what
 * a cancellation does to it ("Abort:"). The constructor throws `LOCK_INVALID` for `permits`
 * that is not an integer ≥ 1 or a rank that is not finite; the getters throw nothing.
 */
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

  /**
   * Takes a permit, waiting in FIFO order.
   *
   * Throws: `LOCK_ORDER` or `LOCK_REENTRANT` synchronously (not as a rejection) on misuse.
   * Abort: an aborted signal rejects at once; aborting while waiting removes the caller from
   * the line and rejects with the signal's KernelError (`ABORTED`, `TIMED_OUT`, or the reason
   * when it is a KernelError); once the permit is granted the signal is no longer watched.
   */
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

  /**
   * Takes a permit only if one is free and nobody is waiting.
   *
   * Throws: `LOCK_ORDER` or `LOCK_REENTRANT` on misuse. Abort: takes no signal (synchronous).
   */
  tryAcquire(): LockGuard | undefined {
    assertMayAcquire(this);
    if (this.#available > 0 && this.#waiting === 0) {
      this.#available -= 1;
      return new Guard(this);
    }
    return undefined;
  }

  /**
   * Runs `callback` holding a permit; nested acquisitions inside it are order-checked.
   *
   * Throws: rejects with `LOCK_ORDER` or `LOCK_REENTRANT` on misuse (nothing runs), then with
   * `callback`'s error; the permit is released either way.
   * Abort: as `acquire` while waiting (`callback` never runs); once `callback` runs the signal
   * is not watched, so `callback` must honour it itself.
   */
  async withLock<T>(callback: () => T | Promise<T>, options?: LockOptions): Promise<T> {
    const guard = await this.acquire(options);
    try {
      return await runHolding(this, callback);
    } finally {
      guard.release();
    }
  }

  /**
   * Gives a permit back, to the oldest live waiter if there is one.
   *
   * Throws: `LOCK_NOT_HELD` for a guard of another lock or one already released.
   * Abort: takes no signal (synchronous).
   */
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
