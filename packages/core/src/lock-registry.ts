/**
 * A table of lock names and ranks, and the only intended way to create ranked locks.
 * `kernelLocks` is built from `KERNEL_LOCK_RANKS`; tests and embedders may build their own.
 */

import { CoreErrorCode } from "./error-codes.ts";
import { KernelError } from "./errors.ts";
import { KERNEL_LOCK_RANKS, type KernelLockName } from "./lock-ranks.ts";
import { Mutex } from "./mutex.ts";
import { Semaphore } from "./semaphore.ts";

/**
 * Every method is synchronous and takes no signal. The constructor throws `LOCK_INVALID` for a
 * rank that is not a finite number.
 */
export class LockRegistry<Name extends string> {
  readonly #ranks: ReadonlyMap<string, number>;

  constructor(ranks: Readonly<Record<Name, number>>) {
    const entries = Object.entries(ranks) as Array<[string, number]>;
    for (const [name, rank] of entries) {
      if (typeof rank !== "number" || !Number.isFinite(rank)) {
        throw new KernelError(CoreErrorCode.lockInvalid, `lock rank for ${name} must be a finite number`);
      }
    }
    this.#ranks = new Map(entries);
  }

  /** The rank registered for `name`. Throws: `LOCK_UNKNOWN` if there is none. */
  rank(name: Name): number {
    const rank = this.#ranks.get(name);
    if (rank === undefined) throw new KernelError(CoreErrorCode.lockUnknown, `no lock named ${name} in this registry`);
    return rank;
  }

  /** A new mutex ranked for `name`. Throws: `LOCK_UNKNOWN` for an unregistered name. */
  mutex(name: Name, label?: string): Mutex {
    return new Mutex({ name, rank: this.rank(name), ...(label === undefined ? {} : { label }) });
  }

  /**
   * A new semaphore ranked for `name`. Throws: `LOCK_UNKNOWN` for an unregistered name,
   * `LOCK_INVALID` for `permits` that is not an integer ≥ 1.
   */
  semaphore(name: Name, permits: number, label?: string): Semaphore {
    return new Semaphore({ name, rank: this.rank(name), permits, ...(label === undefined ? {} : { label }) });
  }

  /** Every name and rank, lowest rank (outermost) first. Throws: nothing. */
  entries(): Array<{ name: string; rank: number }> {
    return [...this.#ranks].map(([name, rank]) => ({ name, rank })).sort((a, b) => a.rank - b.rank);
  }
}

/** The kernel's registry; every package creates its locks from this one. */
export const kernelLocks: LockRegistry<KernelLockName> = new LockRegistry(KERNEL_LOCK_RANKS);
