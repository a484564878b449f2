/**
 * One ranked kernel mutex per key (for example per session), created on first use and
 * dropped when its last user leaves, so idle keys cost nothing.
 */

import { type KernelLockName, kernelLocks, type Mutex } from "@oxios/core";

export class KeyedMutex {
  readonly #name: KernelLockName;
  readonly #entries = new Map<string, { mutex: Mutex; users: number }>();

  constructor(name: KernelLockName) {
    this.#name = name;
  }

  /**
   * Runs `callback` holding the mutex of `key`; callers of one key go one at a time, FIFO.
   *
   * Throws: `LOCK_REENTRANT` when the flow already holds this key's mutex, `LOCK_ORDER` when it
   * holds another lock of the same or a higher rank (nothing runs); then `callback`'s error.
   * Abort: takes no signal; a waiter waits until every caller ahead of it has finished.
   */
  async withLock<T>(key: string, callback: () => T | Promise<T>): Promise<T> {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { mutex: kernelLocks.mutex(this.#name, key), users: 0 };
      this.#entries.set(key, entry);
    }
    entry.users += 1;
    try {
      return await entry.mutex.withLock(callback);
    } finally {
      entry.users -= 1;
      if (entry.users === 0) this.#entries.delete(key);
    }
  }

  /** Keys with a holder or waiters right now. Throws: nothing. */
  get activeKeys(): number {
    return this.#entries.size;
  }
}
