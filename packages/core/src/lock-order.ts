/**
 * Lock-order tracking: which ranked locks the current async flow holds, and the check that
 * makes a lock-order inversion an immediate `LOCK_ORDER` error instead of a rare deadlock.
 *
 * Rule: a flow may acquire a lock only if its rank is strictly greater than the rank of
 * every lock the flow already holds. Held locks are tracked per async flow (see
 * `async-context.ts`), so two concurrent flows holding different locks never see each other's.
 * Locks entered through `withLock` are tracked; a bare `acquire()` guard is checked against
 * what the flow holds but is not itself visible to nested acquisitions.
 */

import { AsyncContext, asyncContextSupport } from "./async-context.ts";
import { CoreErrorCode } from "./error-codes.ts";
import { KernelError } from "./errors.ts";

/** What the order check knows about a lock. */
export interface RankedLockIdentity {
  readonly name: string;
  readonly label: string | undefined;
  readonly rank: number;
}

const heldLocks = new AsyncContext<readonly RankedLockIdentity[]>();
let checkEnabled = true;

export interface LockOrderOptions {
  /** Check lock order on every acquire. On by default; switch off in production if measured worthwhile. */
  check: boolean;
}

/** Switches the lock-order check on or off for this process. */
export function configureLockOrder(options: LockOrderOptions): void {
  checkEnabled = options.check;
}

/** Whether the lock-order check runs, and whether this runtime can track flows at all. */
export function lockOrderStatus(): { check: boolean; tracking: boolean; reason?: string } {
  const support = asyncContextSupport();
  return support.available
    ? { check: checkEnabled, tracking: true }
    : { check: checkEnabled, tracking: false, reason: support.reason ?? "no async context" };
}

/** The locks the current flow holds through `withLock`, outermost first. */
export function heldLocksInFlow(): readonly RankedLockIdentity[] {
  return heldLocks.get() ?? [];
}

function describe(lock: RankedLockIdentity): string {
  return lock.label === undefined
    ? `${lock.name} (rank ${lock.rank})`
    : `${lock.name}[${lock.label}] (rank ${lock.rank})`;
}

/** Throws `LOCK_REENTRANT` or `LOCK_ORDER` if the current flow may not acquire `lock`. */
export function assertMayAcquire(lock: RankedLockIdentity): void {
  if (!checkEnabled) return;
  const held = heldLocks.get();
  if (held === undefined) return;
  for (const other of held) {
    if (other === lock) {
      throw new KernelError(
        CoreErrorCode.lockReentrant,
        `re-entrant acquire of ${describe(lock)}: this flow already holds it`,
        {
          details: { lock: lock.name, label: lock.label },
        },
      );
    }
    if (other.rank >= lock.rank) {
      throw new KernelError(
        CoreErrorCode.lockOrder,
        `lock order violation: acquiring ${describe(lock)} while holding ${describe(other)}; ranks must strictly increase`,
        {
          details: {
            acquiring: lock.name,
            acquiringRank: lock.rank,
            held: other.name,
            heldRank: other.rank,
          },
        },
      );
    }
  }
}

/** Runs `callback` in a flow that additionally holds `lock`. */
export function runHolding<R>(lock: RankedLockIdentity, callback: () => R): R {
  if (!checkEnabled) return callback();
  const held = heldLocks.get();
  return heldLocks.run(held === undefined ? [lock] : [...held, lock], callback);
}
