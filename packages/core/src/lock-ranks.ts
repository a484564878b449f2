/**
 * The kernel's lock rank table: the one registry every ranked lock takes its rank from.
 *
 * A flow may only acquire a lock whose rank is strictly greater than the rank of every lock
 * it already holds. Outer locks have small ranks, inner locks large ones. This table and
 * `docs/lock-ordering.md` say the same thing; a test keeps them in step.
 */
export const KERNEL_LOCK_RANKS = {
  /** @oxios/space: check-and-create of a space by name. */
  "space.create": 100,
  /** @oxios/space: one session's conversation buffer. */
  "space.conversation": 110,
  /** @oxios/state-store: writes to one state key (one lock per key). */
  "state.key": 200,
  /** @oxios/state-store: the git layer's index and commit. */
  "git.commit": 300,
  /** @oxios/event-bus: audit trail appends (innermost: anyone may audit while holding a lock). */
  "audit.append": 900,
} as const;

export type KernelLockName = keyof typeof KERNEL_LOCK_RANKS;
