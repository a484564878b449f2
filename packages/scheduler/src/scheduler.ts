/**
 * Scheduler: the kernel's admission control. Every agent run goes through `run` (or
 * `submit` + `complete`/`fail`), and one synchronous function, `#admitRound`, both checks
 * every limit and records the admission — there is no `await` between the check and the
 * insert, so JavaScript's run-to-completion makes it one critical section and no
 * interleaving can exceed a cap.
 *
 * Order: a per-rate-key indexed heap; the task to admit next is the head with the smallest
 * `orderKey = enqueuedAt − rank × agingMs` (ties FIFO by submission). That is "highest
 * effective priority first" where effective priority = rank + waited / agingMs: because
 * every task ages at the same rate, the comparison between two tasks never changes over
 * time, so the keys are fixed and heap operations stay O(log n) with no rebuilds.
 *
 * In a cluster (`waitForGrant`) the cluster's admission picks the order and the global limits;
 * a task enters the heap only once `grant` says the cluster admitted it.
 */
import { type Clock, KernelError, type Logger, newId, systemClock, type Timer } from "@oxios/core";
import { createEvent, type EventPublisher, type KernelEventPayloads, type KernelEventType } from "@oxios/event-bus";
import { SchedulerErrorCode } from "./error-codes.ts";
import { IndexedHeap } from "./internal/indexed-heap.ts";
import { positiveInteger, positiveOrInfinite } from "./internal/limits.ts";
import { LatencyWindow } from "./latency-window.ts";
import type {
  DrainReport,
  Lease,
  Priority,
  SchedulerStats,
  TaskError,
  TaskHandle,
  TaskRecord,
  TaskSpec,
  TerminalStatus,
} from "./task.ts";
import { EntryHandle, TaskEntry, TaskLease } from "./task-entry.ts";
import type { StoredTask, TaskStore } from "./task-store.ts";
import { TokenBucket } from "./token-bucket.ts";

const RANKS: Record<Priority, number> = { low: 0, normal: 1, high: 2, critical: 3 };
const SOURCE = "scheduler";
const DEFAULT_RATE_KEY = "default";

export interface SchedulerOptions {
  clock?: Clock;
  events?: EventPublisher;
  logger?: Logger;
  /** Tasks running at once, across all agents and rate keys. Default 5. */
  maxConcurrent?: number;
  /** Tasks running at once per `agentId`. Default: no per-agent cap. */
  maxPerAgent?: number;
  /** Admissions per minute per rate key (token bucket, burst = one minute's worth). Default 60; `Infinity` turns the limit off. */
  ratePerMinute?: number;
  /** Per-rate-key overrides of `ratePerMinute`. */
  rateLimits?: Record<string, number>;
  /** Waiting this long raises a task's effective priority by one level. Default 60 000; `Infinity` turns aging off. */
  agingMs?: number;
  /** A running task not heartbeaten for this long is reaped. Default 300 000. */
  zombieAfterMs?: number;
  /** Budget hook: false keeps the task queued (re-asked on the next admission attempt). */
  canAdmit?: (task: TaskRecord) => boolean;
  /**
   * A cluster node's scheduler: a queued task waits until `grant(taskId)` says the cluster
   * admitted it under its own limits and order; only then do this scheduler's admission and
   * limits (and `canAdmit`) see it. A task waiting for its grant is outside the admission order,
   * so admission costs the same however many tasks wait. An adopted task (`adopt`) comes
   * granted. Default false: every queued task is in the admission order.
   */
  waitForGrant?: boolean;
  /**
   * A cluster's word on a running task's lease, asked at each `heartbeat()`; must not throw.
   * False: this node can no longer be sure no other node runs the task (it could not renew its
   * leases in time — its loop stalled or the database was away), so the task is aborted with
   * `SCHEDULER_TASK_INTERRUPTED` (no end recorded; it continues wherever admission next hands
   * it) and the heartbeat returns false. A runner heartbeats right before an action that must
   * happen in one place (a tool call), so a stalled node does not act on a run another node
   * continues. Default: always held.
   */
  leaseHeld?: (taskId: string) => boolean;
  /** Durable queue; every change is written to it (group-committed by the store). */
  store?: TaskStore;
  /** This scheduler's name as a lease owner in the store. Default a fresh id. */
  ownerId?: string;
  /** Finished tasks kept for `get` and duplicate-id checks. Default 1000. */
  retainFinished?: number;
  /**
   * How long an idempotency key stays taken: a submit with a key used by a task created
   * within this window is refused (`SCHEDULER_IDEMPOTENCY_KEY_DUPLICATE`, naming that task).
   * Default 24 h.
   */
  idempotencyWindowMs?: number;
}

/** Runs a recovered durable task; gets the record (payload, idempotencyKey, attempts). */
export type TaskRunner = (task: TaskRecord, signal: AbortSignal, lease: Lease) => Promise<unknown>;

export interface RecoverOptions {
  /** Admissions a task may have had before it is failed instead of retried. Default 3. */
  maxAttempts?: number;
  /**
   * Take over every running task of another owner now, not only those whose lease expired:
   * for a process that knows it is the only live owner (the kernel holds the home's pid file).
   */
  takeOverRunning?: boolean;
}

export interface RecoveryReport {
  /** Handles of the tasks queued again (retries included), in admission order. */
  readonly requeued: readonly TaskHandle[];
  /** Ids of requeued tasks that had been running in a dead process. */
  readonly retried: readonly string[];
  /** Tasks that ran out of attempts (or could not be read) and are now failed. */
  readonly failed: readonly TaskRecord[];
  /** When the next foreign lease expires (call `recover` again then), if any. */
  readonly nextLeaseExpiryAt?: number;
}

interface Lane {
  readonly heap: IndexedHeap<TaskEntry>;
}

function before(a: TaskEntry, b: TaskEntry): boolean {
  return a.orderKey < b.orderKey || (a.orderKey === b.orderKey && a.seq < b.seq);
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0) {
    throw new KernelError(SchedulerErrorCode.taskInvalid, `${name} must be a non-empty string`, {
      details: { field: name },
    });
  }
  return value;
}

function toTaskError(error: unknown, code: string): TaskError {
  const kernelError = KernelError.from(error, code);
  return { code: kernelError.code, message: kernelError.message };
}

/**
 * The scheduler: see the module comment. Each public method's comment says how it fails
 * ("Throws:") and what a cancellation does to it ("Abort:"); the read-only methods (`get`,
 * `find`, `findByIdempotencyKey`, `queued`, `granted`, `running`, `stats`) and `reconsider` throw nothing
 * but a store's `SCHEDULER_STORE_FAILED` and take no signal.
 */
export class Scheduler {
  readonly #clock: Clock;
  readonly #events: EventPublisher | undefined;
  readonly #logger: Logger | undefined;
  readonly #maxConcurrent: number;
  readonly #maxPerAgent: number | undefined;
  readonly #ratePerMinute: number;
  readonly #rateLimits: ReadonlyMap<string, number>;
  readonly #agingMs: number;
  readonly #zombieAfterMs: number;
  readonly #canAdmit: ((task: TaskRecord) => boolean) | undefined;
  readonly #waitForGrant: boolean;
  readonly #leaseHeld: ((taskId: string) => boolean) | undefined;
  readonly #store: TaskStore | undefined;
  readonly #ownerId: string;
  /** Generated task ids: a fresh time-ordered id per scheduler, then a counter (cheap and unique). */
  readonly #idPrefix: string;
  #nextId = 0;
  readonly #retainFinished: number;
  readonly #idempotencyWindowMs: number;

  /** Queued and running tasks. */
  readonly #live = new Map<string, TaskEntry>();
  /** Recently finished tasks, oldest first (bounded by retainFinished). */
  readonly #finished = new Map<string, TaskEntry>();
  readonly #lanes = new Map<string, Lane>();
  /** Queued tasks waiting for `grant` (`waitForGrant`), by id; the rest of the queue is in `#lanes`. */
  readonly #ungranted = new Map<string, TaskEntry>();
  /** Live and retained finished tasks by idempotency key. */
  readonly #byKey = new Map<string, TaskEntry>();
  /** The next recovery of tasks whose lease expires (armed by `recover`). */
  #leaseTimer: Timer | undefined;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #running = new Set<TaskEntry>();
  readonly #perAgent = new Map<string, number>();
  #queued = 0;
  #seq = 0;
  #counters = { submitted: 0, admitted: 0, completed: 0, failed: 0, cancelled: 0, reaped: 0 };
  readonly #waiting = new LatencyWindow();
  readonly #turnaround = new LatencyWindow();
  #pumping = false;
  #pumpAgain = false;
  #refillTimer: { timer: Timer; at: number } | undefined;
  #reaperTimer: Timer | undefined;
  #drain: Promise<DrainReport> | undefined;
  #idleWaiters: Array<() => void> = [];
  readonly #drivers = new Set<Promise<void>>();

  constructor(options: SchedulerOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#events = options.events;
    this.#logger = options.logger?.child({ component: SOURCE });
    this.#maxConcurrent = positiveInteger("maxConcurrent", options.maxConcurrent, 5) as number;
    this.#maxPerAgent = positiveInteger("maxPerAgent", options.maxPerAgent, undefined);
    this.#ratePerMinute = positiveOrInfinite("ratePerMinute", options.ratePerMinute, 60);
    const limits = new Map<string, number>();
    for (const [key, rate] of Object.entries(options.rateLimits ?? {})) {
      limits.set(key, positiveOrInfinite(`rateLimits.${key}`, rate, 60));
    }
    this.#rateLimits = limits;
    this.#agingMs = positiveOrInfinite("agingMs", options.agingMs, 60_000);
    const zombie = positiveOrInfinite("zombieAfterMs", options.zombieAfterMs, 300_000);
    if (!Number.isFinite(zombie)) {
      throw new KernelError(SchedulerErrorCode.limitInvalid, "zombieAfterMs must be finite", {
        details: { option: "zombieAfterMs", value: zombie },
      });
    }
    this.#zombieAfterMs = zombie;
    this.#retainFinished = options.retainFinished ?? 1000;
    if (!Number.isInteger(this.#retainFinished) || this.#retainFinished < 0) {
      throw new KernelError(SchedulerErrorCode.limitInvalid, "retainFinished must be a non-negative integer", {
        details: { option: "retainFinished", value: options.retainFinished },
      });
    }
    this.#idempotencyWindowMs = positiveOrInfinite("idempotencyWindowMs", options.idempotencyWindowMs, 86_400_000);
    this.#canAdmit = options.canAdmit;
    this.#waitForGrant = options.waitForGrant === true;
    this.#leaseHeld = options.leaseHeld;
    this.#store = options.store;
    this.#ownerId = options.ownerId ?? newId(this.#clock.now());
    this.#idPrefix = `${newId(this.#clock.now())}-`;
  }

  /**
   * Queues a task; admission is attempted at once.
   *
   * Throws: `SCHEDULER_DRAINING` while draining; `SCHEDULER_TASK_INVALID`,
   * `SCHEDULER_PRIORITY_INVALID`, `SCHEDULER_TASK_DUPLICATE` or
   * `SCHEDULER_DUPLICATE_IDEMPOTENCY_KEY` for a bad spec; the store's `SCHEDULER_STORE_FAILED`
   * when it cannot keep the task. Nothing is queued when it throws.
   * Abort: takes no signal (synchronous); `cancel(taskId)` removes the task later.
   */
  submit<P>(spec: TaskSpec<P> = {}): TaskHandle {
    return new EntryHandle(this.#submit(spec));
  }

  /**
   * Submits, waits for admission, runs `fn(signal, lease)` and completes or fails the task
   * with its outcome.
   *
   * Throws: `SCHEDULER_DRAINING` while draining, `SCHEDULER_TASK_INVALID`,
   * `SCHEDULER_PRIORITY_INVALID` or `SCHEDULER_TASK_DUPLICATE` for a bad spec (nothing is
   * queued); `SCHEDULER_ADMISSION_HOOK_FAILED` when `canAdmit` threw; then `fn`'s error, or the
   * KernelError that revoked the lease (`SCHEDULER_TASK_CANCELLED`, `SCHEDULER_TASK_REAPED`,
   * `SCHEDULER_DRAINING`).
   * Abort: takes no signal; `cancel(taskId)` removes a queued task before it starts and aborts
   * a running one's lease signal, which `fn` must honour.
   */
  async run<T, P = unknown>(spec: TaskSpec<P>, fn: (signal: AbortSignal, lease: Lease) => Promise<T>): Promise<T> {
    const entry = this.#submit(spec);
    const lease =
      entry.status === "running" ? (entry.lease as TaskLease) : ((await entry.admittedPromise()) as TaskLease);
    return this.#drive(entry, lease, fn);
  }

  /**
   * Marks a running task completed.
   *
   * Throws: `SCHEDULER_TASK_NOT_FOUND`, `SCHEDULER_TASK_NOT_RUNNING`.
   * Abort: takes no signal (synchronous).
   */
  complete(taskId: string, result?: unknown): void {
    const entry = this.#runningEntry(taskId, "complete");
    entry.result = result;
    this.#finish(entry, "completed", undefined, true);
  }

  /**
   * Marks a running task failed.
   *
   * Throws: `SCHEDULER_TASK_NOT_FOUND`, `SCHEDULER_TASK_NOT_RUNNING`.
   * Abort: takes no signal (synchronous).
   */
  fail(taskId: string, error: unknown): void {
    const entry = this.#runningEntry(taskId, "fail");
    this.#finish(entry, "failed", toTaskError(error, SchedulerErrorCode.taskFailed), true);
  }

  /**
   * Cancels a queued task (removed from the queue) or a running one (its lease signal aborts
   * with SCHEDULER_TASK_CANCELLED and its slot is freed at once). False when the task is
   * unknown or already finished.
   *
   * Throws: nothing. Abort: takes no signal (synchronous).
   */
  cancel(taskId: string, reason: string): boolean {
    const entry = this.#live.get(taskId);
    if (entry === undefined) return false;
    this.#cancel(entry, SchedulerErrorCode.taskCancelled, reason, true);
    this.#pump();
    return true;
  }

  /**
   * Aborts a running task's lease signal with `reason` but leaves the task running: its slot
   * stays taken until the runner settles, and `run` then records the outcome. This is how a
   * supervisor kills or times out a run without a runner that ignores its signal escaping the
   * caps. False when the task is not running.
   *
   * Throws: nothing. Abort: takes no signal (synchronous).
   */
  abort(taskId: string, reason: KernelError): boolean {
    const entry = this.#live.get(taskId);
    if (entry === undefined || entry.status !== "running" || entry.lease === undefined) return false;
    entry.lease.abort(reason);
    return true;
  }

  /**
   * Gives up a queued task without storing anything: it leaves this scheduler's queue and its
   * admission rejects with `SCHEDULER_TASK_INTERRUPTED` (`reason`), so its runner never runs
   * here and nothing records an end. For a cluster node whose queued task another node took
   * (the store holds the task as that node's). False when the task is not queued here.
   *
   * Throws: nothing. Abort: takes no signal (synchronous).
   */
  release(taskId: string, reason: string): boolean {
    const entry = this.#live.get(taskId);
    if (entry === undefined || entry.status !== "queued") return false;
    this.#unqueue(entry);
    this.#live.delete(entry.id);
    this.#finishQueued(entry, "failed", { code: SchedulerErrorCode.taskInterrupted, message: reason }, false);
    this.#pump();
    return true;
  }

  /** Re-runs admission, e.g. after the budget behind `canAdmit` changed. */
  reconsider(): void {
    this.#pump();
  }

  /**
   * With `waitForGrant`: the cluster admitted this queued task, so it enters the admission
   * order, and admission runs. False when the task is not waiting for a grant here (unknown,
   * not queued, or granted already).
   *
   * Throws: nothing but a store's `SCHEDULER_STORE_FAILED`. Abort: takes no signal (synchronous).
   */
  grant(taskId: string): boolean {
    const entry = this.#ungranted.get(taskId);
    if (entry === undefined) return false;
    this.#ungranted.delete(taskId);
    this.#laneOf(entry.rateKey).heap.push(entry);
    this.#pump();
    return true;
  }

  /**
   * With `waitForGrant`: the granted tasks still queued here (a local limit holds them back), in
   * admission order. Empty without `waitForGrant`.
   */
  granted(): TaskRecord[] {
    if (!this.#waitForGrant) return [];
    return this.#inAdmissionOrder([...this.#lanes.values()].flatMap((lane) => lane.heap.values()));
  }

  get(taskId: string): TaskRecord | undefined {
    return (this.#live.get(taskId) ?? this.#finished.get(taskId))?.snapshot();
  }

  /** A task this scheduler knows (live or recently finished), else the one its store keeps. */
  find(taskId: string): TaskRecord | undefined {
    const known = this.get(taskId);
    if (known !== undefined) return known;
    const stored = this.#store?.get?.(taskId);
    return stored === undefined ? undefined : this.#recordFromStore(stored);
  }

  /**
   * The task created with idempotency key `key` within `idempotencyWindowMs`, if any: one this
   * scheduler knows (live or recently finished), else one its store keeps (a task of an
   * earlier process). Synchronous, so "look up, else submit" in one synchronous function is
   * one atomic step.
   */
  findByIdempotencyKey(key: string): TaskRecord | undefined {
    const since = this.#clock.now() - this.#idempotencyWindowMs;
    const entry = this.#byKey.get(key);
    if (entry !== undefined && entry.createdAt >= since) return entry.snapshot();
    const stored = this.#store?.findByIdempotencyKey?.(key, since);
    return stored === undefined ? undefined : this.#recordFromStore(stored);
  }

  /** Queued tasks in admission order (as if every limit allowed them all now). */
  queued(): TaskRecord[] {
    const entries: TaskEntry[] = [];
    for (const lane of this.#lanes.values()) entries.push(...lane.heap.values());
    entries.push(...this.#ungranted.values());
    return this.#inAdmissionOrder(entries);
  }

  #inAdmissionOrder(entries: TaskEntry[]): TaskRecord[] {
    entries.sort((a, b) => (before(a, b) ? -1 : 1));
    return entries.map((entry) => entry.snapshot());
  }

  running(): TaskRecord[] {
    return [...this.#running].map((entry) => entry.snapshot());
  }

  stats(): SchedulerStats {
    return {
      ...this.#counters,
      queued: this.#queued,
      running: this.#running.size,
      draining: this.#drain !== undefined,
      waitingMs: this.#waiting.summary(),
      turnaroundMs: this.#turnaround.summary(),
    };
  }

  /**
   * Shutdown: stops admitting (later submits throw SCHEDULER_DRAINING), releases queued tasks
   * (their handles end cancelled with SCHEDULER_DRAINING; with a store they stay queued on
   * disk for the next process), waits up to `timeoutMs` for running tasks, then aborts the
   * rest (with a store, their leases are left to expire so the next process retries them),
   * and flushes the store. Idempotent: a second call returns the first call's promise.
   *
   * Throws: `SCHEDULER_LIMIT_INVALID` for a negative or non-numeric `timeoutMs`.
   * Abort: takes no signal; `timeoutMs` bounds the wait for running tasks.
   */
  drain(options: { timeoutMs: number }): Promise<DrainReport> {
    const timeoutMs = options?.timeoutMs;
    if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      throw new KernelError(SchedulerErrorCode.limitInvalid, `drain timeoutMs must be a non-negative number`, {
        details: { option: "timeoutMs", value: timeoutMs },
      });
    }
    this.#drain ??= this.#drainNow(timeoutMs);
    return this.#drain;
  }

  /**
   * Durable queue restart: takes over queued tasks and tasks whose lease expired (a dead
   * process's running tasks, retried while `attempts < maxAttempts`, else failed) from the
   * store and queues them again in their original order; each is run by `runner`, which
   * gets the record (payload, idempotencyKey, attempts). At-least-once: a retried task may
   * have run partly before, so the runner should make its effect idempotent by the key.
   *
   * While this scheduler runs, the next foreign lease to expire is watched on the Clock: when
   * it expires, `recover` runs again with the same runner, so a dead owner's tasks are taken
   * over without waiting for a restart. `drain` stops the watch and joins what it started.
   *
   * Throws: `SCHEDULER_STORE_MISSING`, `SCHEDULER_DRAINING`, `SCHEDULER_LIMIT_INVALID`, and the
   * store's `SCHEDULER_STORE_FAILED`.
   * Abort: takes no signal; `drain` stops the lease watch and joins the runs it started.
   */
  async recover(runner: TaskRunner, options: RecoverOptions = {}): Promise<RecoveryReport> {
    const store = this.#store;
    if (store === undefined)
      throw new KernelError(SchedulerErrorCode.storeMissing, "recover needs a scheduler with a store");
    if (this.#drain !== undefined) throw new KernelError(SchedulerErrorCode.draining, "the scheduler is draining");
    const maxAttempts = positiveInteger("maxAttempts", options.maxAttempts, 3) as number;
    const recovered = await store.recover({
      now: this.#clock.now(),
      owner: this.#ownerId,
      maxAttempts,
      ...(options.takeOverRunning === true ? { takeOverRunning: true } : {}),
    });
    const requeued: TaskHandle[] = [];
    for (const stored of recovered.queued) {
      if (this.#live.has(stored.id)) continue;
      const entry = this.#enqueue(this.#entryFromStore(stored), false);
      requeued.push(new EntryHandle(entry));
      this.#own(this.#runRecovered(entry, runner));
    }
    this.#pump();
    const failed = recovered.failed.map((stored) => this.#recordFromStore(stored));
    this.#watchLeases(recovered.nextLeaseExpiryAt, runner, maxAttempts);
    return {
      requeued,
      retried: recovered.retried,
      failed,
      ...(recovered.nextLeaseExpiryAt === undefined ? {} : { nextLeaseExpiryAt: recovered.nextLeaseExpiryAt }),
    };
  }

  /**
   * Takes one stored task this scheduler did not submit (a cluster node adopting a task of a
   * node that died, or its own from before a restart) and queues it like `recover` does:
   * nothing is written for the queueing (the store holds the task already), admission goes
   * through `#admitRound` as for any task, and `runner` runs it once admitted. `task.attempts`
   * counts the admissions before this one.
   *
   * Throws: `SCHEDULER_DRAINING`, `SCHEDULER_TASK_DUPLICATE` when this scheduler holds the id.
   */
  adopt(task: StoredTask, runner: TaskRunner): TaskHandle {
    if (this.#drain !== undefined) throw new KernelError(SchedulerErrorCode.draining, "the scheduler is draining");
    if (this.#live.has(task.id)) {
      throw new KernelError(SchedulerErrorCode.taskDuplicate, `task ${task.id} already exists`, {
        details: { taskId: task.id },
      });
    }
    this.#finished.delete(task.id);
    const entry = this.#enqueue(this.#entryFromStore(task), false, true);
    this.#own(this.#runRecovered(entry, runner));
    this.#pump();
    return new EntryHandle(entry);
  }

  // ---- submission -------------------------------------------------------------------

  #submit<P>(spec: TaskSpec<P>): TaskEntry {
    if (this.#drain !== undefined) {
      throw new KernelError(SchedulerErrorCode.draining, "the scheduler is draining and admits no new tasks");
    }
    if (typeof spec !== "object" || spec === null) {
      throw new KernelError(SchedulerErrorCode.taskInvalid, "a task spec must be an object");
    }
    const priority = spec.priority ?? "normal";
    const rank = RANKS[priority];
    if (rank === undefined || !Object.hasOwn(RANKS, priority)) {
      throw new KernelError(SchedulerErrorCode.priorityInvalid, `unknown priority ${JSON.stringify(priority)}`, {
        details: { priority, allowed: Object.keys(RANKS) },
      });
    }
    const id = optionalString("id", spec.id);
    if (spec.freshId !== undefined && typeof spec.freshId !== "boolean") {
      throw new KernelError(SchedulerErrorCode.taskInvalid, "freshId must be a boolean");
    }
    const rateKey = optionalString("rateKey", spec.rateKey) ?? DEFAULT_RATE_KEY;
    const agentId = optionalString("agentId", spec.agentId);
    const profile = optionalString("profile", spec.profile);
    const idempotencyKey = optionalString("idempotencyKey", spec.idempotencyKey);
    if (idempotencyKey !== undefined) {
      const taken = this.findByIdempotencyKey(idempotencyKey);
      if (taken !== undefined) {
        throw new KernelError(
          SchedulerErrorCode.idempotencyKeyDuplicate,
          `idempotency key ${JSON.stringify(idempotencyKey)} is taken by task ${taken.id}`,
          { details: { taskId: taken.id, idempotencyKey } },
        );
      }
    }
    const now = this.#clock.now();
    const taskId = id ?? `${this.#idPrefix}${(this.#nextId++).toString(36)}`;
    if (this.#live.has(taskId) || this.#finished.has(taskId)) {
      throw new KernelError(SchedulerErrorCode.taskDuplicate, `task ${taskId} already exists`, { details: { taskId } });
    }
    const entry = new TaskEntry({
      id: taskId,
      priority,
      rank,
      rateKey,
      agentId,
      profile,
      idempotencyKey,
      payload: spec.payload,
      createdAt: now,
      enqueuedAt: now,
      orderKey: this.#orderKey(now, rank),
      seq: this.#seq++,
      attempts: 0,
    });
    // The store validates the payload synchronously: a task it cannot keep is never queued.
    const ownId = id === undefined || spec.freshId === true;
    this.#store?.write({ kind: "queued", task: this.#stored(entry), ...(ownId ? { ownId: true } : {}) });
    this.#counters.submitted++;
    return this.#enqueue(entry, true);
  }

  /** A stored task as a read-only record (status, finish and error as stored). */
  #recordFromStore(stored: StoredTask): TaskRecord {
    const entry = this.#entryFromStore(stored);
    entry.status = stored.status;
    entry.finishedAt = stored.finishedAt;
    entry.error = stored.error;
    return entry.snapshot();
  }

  #entryFromStore(stored: StoredTask): TaskEntry {
    const rank = RANKS[stored.priority] ?? RANKS.normal;
    return new TaskEntry({
      id: stored.id,
      priority: stored.priority,
      rank,
      rateKey: stored.rateKey,
      agentId: stored.agentId,
      profile: stored.profile,
      idempotencyKey: stored.idempotencyKey,
      payload: stored.payload,
      createdAt: stored.createdAt,
      enqueuedAt: stored.enqueuedAt,
      orderKey: this.#orderKey(stored.enqueuedAt, rank),
      seq: this.#seq++,
      attempts: stored.attempts,
    });
  }

  #orderKey(enqueuedAt: number, rank: number): number {
    return Number.isFinite(this.#agingMs) ? enqueuedAt - rank * this.#agingMs : -rank;
  }

  /** Queues `entry`: in the admission order, or with `waitForGrant` (and not `granted`) until its grant. */
  #enqueue(entry: TaskEntry, pump: boolean, granted = false): TaskEntry {
    this.#live.set(entry.id, entry);
    if (entry.idempotencyKey !== undefined) this.#byKey.set(entry.idempotencyKey, entry);
    if (this.#waitForGrant && !granted) this.#ungranted.set(entry.id, entry);
    else this.#laneOf(entry.rateKey).heap.push(entry);
    this.#queued++;
    this.#publish("task.queued", {
      taskId: entry.id,
      priority: entry.priority,
      rateKey: entry.rateKey,
      ...(entry.agentId === undefined ? {} : { agentId: entry.agentId }),
      queueLength: this.#queued,
    });
    if (pump) this.#pump();
    return entry;
  }

  #laneOf(rateKey: string): Lane {
    let lane = this.#lanes.get(rateKey);
    if (lane === undefined) {
      lane = { heap: new IndexedHeap(before) };
      this.#lanes.set(rateKey, lane);
    }
    return lane;
  }

  /** Takes a queued task out of the queue (its heap, or the tasks waiting for a grant). */
  #unqueue(entry: TaskEntry): void {
    if (!this.#ungranted.delete(entry.id)) this.#lanes.get(entry.rateKey)?.heap.remove(entry);
    this.#queued--;
  }

  // ---- admission --------------------------------------------------------------------

  /** Admission is re-attempted on submit, on every freed slot and on token refill. */
  #pump(): void {
    if (this.#pumping) {
      // An event subscriber or hook re-entered; finish this round and go again.
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#admitRound();
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * THE critical section: checks every limit and records each admission, synchronously.
   * Tasks blocked by their agent's cap or the budget hook are set aside for this round and
   * put back at the end (same key, same place), so they never block others behind them.
   */
  #admitRound(): void {
    if (this.#drain !== undefined || this.#queued === 0) return;
    const now = this.#clock.now();
    const setAside: TaskEntry[] = [];
    let tokenWaitMs = Number.POSITIVE_INFINITY;
    while (this.#running.size < this.#maxConcurrent) {
      let bestLane: Lane | undefined;
      let best: TaskEntry | undefined;
      tokenWaitMs = Number.POSITIVE_INFINITY;
      for (const [rateKey, lane] of this.#lanes) {
        const head = lane.heap.peek();
        if (head === undefined) continue;
        const bucket = this.#bucket(rateKey, now);
        if (bucket !== undefined && bucket.available(now) < 1) {
          tokenWaitMs = Math.min(tokenWaitMs, bucket.msUntilToken(now));
          continue;
        }
        if (best === undefined || before(head, best)) {
          best = head;
          bestLane = lane;
        }
      }
      if (best === undefined || bestLane === undefined) break;
      bestLane.heap.pop();
      if (!this.#admissible(best)) {
        if (best.status === "queued") setAside.push(best);
        continue;
      }
      this.#bucket(best.rateKey, now)?.tryTake(now);
      this.#admit(best, now);
    }
    for (const entry of setAside) this.#lanes.get(entry.rateKey)?.heap.push(entry);
    for (const [rateKey, lane] of this.#lanes) if (lane.heap.size === 0) this.#lanes.delete(rateKey);
    if (Number.isFinite(tokenWaitMs) && this.#running.size < this.#maxConcurrent) this.#armRefill(now, tokenWaitMs);
  }

  #bucket(rateKey: string, now: number): TokenBucket | undefined {
    let bucket = this.#buckets.get(rateKey);
    if (bucket === undefined) {
      const rate = this.#rateLimits.get(rateKey) ?? this.#ratePerMinute;
      if (!Number.isFinite(rate)) return undefined;
      bucket = new TokenBucket(rate, now);
      this.#buckets.set(rateKey, bucket);
    }
    return bucket;
  }

  #admissible(entry: TaskEntry): boolean {
    if (this.#maxPerAgent !== undefined && entry.agentId !== undefined) {
      if ((this.#perAgent.get(entry.agentId) ?? 0) >= this.#maxPerAgent) return false;
    }
    if (this.#canAdmit === undefined) return true;
    try {
      return this.#canAdmit(entry.snapshot()) === true;
    } catch (error) {
      // A hook that throws cannot decide; the task fails instead of waiting forever.
      this.#logger?.error("canAdmit threw; failing the task", { taskId: entry.id, error });
      this.#queued--;
      this.#live.delete(entry.id);
      this.#finishQueued(entry, "failed", toTaskError(error, SchedulerErrorCode.admissionHookFailed), true);
      return false;
    }
  }

  #admit(entry: TaskEntry, now: number): void {
    this.#queued--;
    entry.status = "running";
    entry.attempts++;
    entry.admittedAt = now;
    entry.lastHeartbeatAt = now;
    const lease = new TaskLease(entry.id, entry.attempts, entry.idempotencyKey, this.#onHeartbeat);
    entry.lease = lease;
    this.#running.add(entry);
    if (entry.agentId !== undefined) this.#perAgent.set(entry.agentId, (this.#perAgent.get(entry.agentId) ?? 0) + 1);
    this.#counters.admitted++;
    const waitingMs = now - entry.enqueuedAt;
    this.#waiting.record(waitingMs);
    this.#store?.write({
      kind: "admitted",
      id: entry.id,
      attempt: entry.attempts,
      owner: this.#ownerId,
      at: now,
      leaseExpiresAt: now + this.#zombieAfterMs,
    });
    this.#publish("task.admitted", { taskId: entry.id, waitingMs, attempt: entry.attempts });
    if (this.#reaperTimer === undefined) this.#armReaper(this.#zombieAfterMs);
    entry.decideAdmission(lease);
  }

  #armRefill(now: number, waitMs: number): void {
    const at = now + waitMs;
    if (this.#refillTimer !== undefined && this.#refillTimer.at <= at) return;
    this.#refillTimer?.timer.cancel();
    const timer = this.#clock.setTimer(() => {
      if (this.#refillTimer?.timer === timer) this.#refillTimer = undefined;
      this.#pump();
    }, waitMs);
    this.#refillTimer = { timer, at };
  }

  // ---- leases and zombies -----------------------------------------------------------

  readonly #onHeartbeat = (lease: TaskLease): boolean => {
    const entry = this.#live.get(lease.taskId);
    if (entry === undefined || entry.lease !== lease || entry.status !== "running") return false;
    if (this.#leaseHeld !== undefined && !this.#leaseHeld(entry.id)) {
      lease.abort(
        new KernelError(
          SchedulerErrorCode.taskInterrupted,
          `task ${entry.id} stops here: this node could not renew its cluster lease in time`,
        ),
      );
      return false;
    }
    const now = this.#clock.now();
    entry.lastHeartbeatAt = now;
    // Renew the stored lease only when half of it is used up: heartbeats stay cheap.
    if (this.#store !== undefined && now >= (entry.renewedAt ?? entry.admittedAt ?? now) + this.#zombieAfterMs / 2) {
      entry.renewedAt = now;
      this.#store.write({ kind: "renewed", id: entry.id, leaseExpiresAt: now + this.#zombieAfterMs });
    }
    return true;
  };

  #armReaper(delayMs: number): void {
    this.#reaperTimer = this.#clock.setTimer(() => {
      this.#reaperTimer = undefined;
      this.#reap();
    }, delayMs);
  }

  #reap(): void {
    const now = this.#clock.now();
    let nextDeadline = Number.POSITIVE_INFINITY;
    for (const entry of [...this.#running]) {
      const deadline = (entry.lastHeartbeatAt ?? now) + this.#zombieAfterMs;
      if (deadline <= now) {
        this.#finish(
          entry,
          "reaped",
          {
            code: SchedulerErrorCode.taskReaped,
            message: `no heartbeat for ${now - (entry.lastHeartbeatAt ?? now)} ms (zombieAfterMs ${this.#zombieAfterMs})`,
          },
          false,
        );
      } else nextDeadline = Math.min(nextDeadline, deadline);
    }
    if (Number.isFinite(nextDeadline) && this.#reaperTimer === undefined) this.#armReaper(nextDeadline - now);
    this.#pump();
  }

  // ---- finishing --------------------------------------------------------------------

  #runningEntry(taskId: string, verb: string): TaskEntry {
    const entry = this.#live.get(taskId) ?? this.#finished.get(taskId);
    if (entry === undefined) {
      throw new KernelError(SchedulerErrorCode.taskNotFound, `cannot ${verb} unknown task ${taskId}`, {
        details: { taskId },
      });
    }
    if (entry.status !== "running") {
      throw new KernelError(SchedulerErrorCode.taskNotRunning, `cannot ${verb} task ${taskId}: it is ${entry.status}`, {
        details: { taskId, status: entry.status },
      });
    }
    return entry;
  }

  #cancel(entry: TaskEntry, code: string, reason: string, persist: boolean): void {
    const error = { code, message: reason };
    if (entry.status === "running") {
      this.#finish(entry, "cancelled", error, persist, reason);
      return;
    }
    this.#unqueue(entry);
    this.#live.delete(entry.id);
    this.#finishQueued(entry, "cancelled", error, persist, reason);
  }

  /** Ends a task that never ran (it is already out of its heap and the queue count). */
  #finishQueued(entry: TaskEntry, status: TerminalStatus, error: TaskError, persist: boolean, reason?: string): void {
    const now = this.#clock.now();
    entry.status = status;
    entry.finishedAt = now;
    entry.error = error;
    this.#count(status);
    if (persist) this.#store?.write({ kind: "finished", id: entry.id, status, at: now, error });
    if (status === "cancelled") {
      this.#publish("task.cancelled", {
        taskId: entry.id,
        reason: reason ?? error.message,
        wasRunning: false,
        turnaroundMs: now - entry.enqueuedAt,
      });
    } else {
      this.#publish("task.failed", {
        taskId: entry.id,
        waitingMs: now - entry.enqueuedAt,
        turnaroundMs: now - entry.enqueuedAt,
        error,
      });
    }
    entry.decideAdmission(new KernelError(error.code, error.message, { details: { taskId: entry.id } }));
    this.#retire(entry);
  }

  /** Ends a running task: frees its slot, revokes its lease, records, publishes, re-pumps. */
  #finish(
    entry: TaskEntry,
    status: TerminalStatus,
    error: TaskError | undefined,
    persist: boolean,
    reason?: string,
  ): void {
    const now = this.#clock.now();
    this.#running.delete(entry);
    this.#live.delete(entry.id);
    if (entry.agentId !== undefined) {
      const count = (this.#perAgent.get(entry.agentId) ?? 1) - 1;
      if (count === 0) this.#perAgent.delete(entry.agentId);
      else this.#perAgent.set(entry.agentId, count);
    }
    entry.status = status;
    entry.finishedAt = now;
    entry.error = error;
    this.#count(status);
    const waitingMs = (entry.admittedAt ?? now) - entry.enqueuedAt;
    const turnaroundMs = now - entry.enqueuedAt;
    if (status === "completed" || status === "failed") this.#turnaround.record(turnaroundMs);
    // Only a lease taken away (cancel, reap, drain) aborts its signal; a task that completed
    // or failed by itself has nothing left to stop, and skipping the abort keeps the path cheap.
    if ((status === "cancelled" || status === "reaped") && error !== undefined) {
      entry.lease?.abort(new KernelError(error.code, error.message, { details: { taskId: entry.id } }));
    }
    if (persist) {
      this.#store?.write(
        error === undefined
          ? { kind: "finished", id: entry.id, status, at: now }
          : { kind: "finished", id: entry.id, status, at: now, error },
      );
    }
    switch (status) {
      case "completed":
        this.#publish("task.completed", { taskId: entry.id, waitingMs, turnaroundMs });
        break;
      case "failed":
        this.#publish("task.failed", { taskId: entry.id, waitingMs, turnaroundMs, error: error as TaskError });
        break;
      case "cancelled":
        this.#publish("task.cancelled", {
          taskId: entry.id,
          reason: reason ?? error?.message ?? status,
          wasRunning: true,
          waitingMs,
          turnaroundMs,
        });
        break;
      case "reaped":
        this.#publish("task.reaped", {
          taskId: entry.id,
          lastHeartbeatMs: entry.lastHeartbeatAt ?? now,
          zombieAfterMs: this.#zombieAfterMs,
          waitingMs,
          turnaroundMs,
        });
        break;
    }
    this.#retire(entry);
    if (this.#running.size === 0) {
      this.#reaperTimer?.cancel();
      this.#reaperTimer = undefined;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
    this.#pump();
  }

  #count(status: TerminalStatus): void {
    this.#counters[status]++;
  }

  #retire(entry: TaskEntry): void {
    if (this.#retainFinished > 0) {
      this.#finished.set(entry.id, entry);
      if (this.#finished.size > this.#retainFinished) {
        const oldest = this.#finished.keys().next().value as string;
        this.#forgetKey(this.#finished.get(oldest));
        this.#finished.delete(oldest);
      }
    } else this.#forgetKey(entry);
    entry.settle();
  }

  #forgetKey(entry: TaskEntry | undefined): void {
    if (entry?.idempotencyKey !== undefined && this.#byKey.get(entry.idempotencyKey) === entry) {
      this.#byKey.delete(entry.idempotencyKey);
    }
  }

  /** Arms the recovery of the next foreign lease to expire (see `recover`). */
  #watchLeases(at: number | undefined, runner: TaskRunner, maxAttempts: number): void {
    this.#leaseTimer?.cancel();
    this.#leaseTimer = undefined;
    if (at === undefined || this.#drain !== undefined) return;
    this.#leaseTimer = this.#clock.setTimer(
      () => {
        this.#leaseTimer = undefined;
        if (this.#drain !== undefined) return;
        this.#own(
          this.recover(runner, { maxAttempts }).then(
            (report) => {
              if (report.requeued.length + report.failed.length === 0) return;
              this.#logger?.warn("took over tasks whose lease expired", {
                requeued: report.requeued.length,
                failed: report.failed.length,
              });
            },
            (error: unknown) => this.#logger?.error("recovering tasks with expired leases failed", { error }),
          ),
        );
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  // ---- running ----------------------------------------------------------------------

  async #drive<T>(
    entry: TaskEntry,
    lease: TaskLease,
    fn: (signal: AbortSignal, lease: Lease) => Promise<T>,
  ): Promise<T> {
    let value: T;
    try {
      value = await fn(lease.signal, lease);
    } catch (error) {
      if (entry.lease === lease && entry.status === "running") {
        const failure = toTaskError(error, SchedulerErrorCode.taskFailed);
        // An interrupted task's end is not stored: the store still holds it running, to be
        // handed back (a cluster node does so once the database answers again).
        this.#finish(entry, "failed", failure, failure.code !== SchedulerErrorCode.taskInterrupted);
        throw error;
      }
      throw lease.abortReason ?? error;
    }
    if (entry.lease === lease && entry.status === "running") {
      entry.result = value;
      this.#finish(entry, "completed", undefined, true);
      return value;
    }
    throw (
      lease.abortReason ?? new KernelError(SchedulerErrorCode.taskNotRunning, `task ${entry.id} is ${entry.status}`)
    );
  }

  async #runRecovered(entry: TaskEntry, runner: TaskRunner): Promise<void> {
    let lease: TaskLease;
    try {
      lease = (await entry.admittedPromise()) as TaskLease;
    } catch (error) {
      this.#logger?.info("recovered task ended before admission", { taskId: entry.id, error });
      return;
    }
    try {
      await this.#drive(entry, lease, (signal, taskLease) => runner(entry.snapshot(), signal, taskLease));
    } catch (error) {
      // The outcome is recorded on the task (failed, cancelled or reaped); the handle reports it.
      this.#logger?.warn("recovered task did not complete", { taskId: entry.id, error });
    }
  }

  /** Waits up to `timeoutMs` for the runners of recovered tasks; returns how many still run. */
  async #joinDrivers(timeoutMs: number): Promise<number> {
    if (this.#drivers.size === 0) return 0;
    let timer: { cancel(): void } | undefined;
    // With no time left, still let runners that have already finished unregister themselves.
    const deadline =
      timeoutMs <= 0
        ? afterMicrotasks(8)
        : new Promise<void>((resolve) => {
            timer = this.#clock.setTimer(resolve, timeoutMs);
          });
    await Promise.race([Promise.allSettled([...this.#drivers]), deadline]);
    timer?.cancel();
    if (this.#drivers.size > 0) {
      this.#logger?.warn("drain returned with recovered task runners still running", { runners: this.#drivers.size });
    }
    return this.#drivers.size;
  }

  #own(work: Promise<void>): void {
    this.#drivers.add(work);
    void work.finally(() => this.#drivers.delete(work));
  }

  // ---- shutdown ---------------------------------------------------------------------

  async #drainNow(timeoutMs: number): Promise<DrainReport> {
    const startedAt = this.#clock.now();
    this.#refillTimer?.timer.cancel();
    this.#refillTimer = undefined;
    this.#leaseTimer?.cancel();
    this.#leaseTimer = undefined;
    const released: string[] = [];
    const queued: TaskEntry[] = [];
    for (const lane of this.#lanes.values()) queued.push(...lane.heap.values());
    queued.push(...this.#ungranted.values());
    for (const entry of queued) {
      released.push(entry.id);
      // With a store the task stays queued on disk: the next process runs it.
      this.#cancel(entry, SchedulerErrorCode.draining, "scheduler draining", false);
    }
    const releasedCount = this.#finishedCount();
    let timedOut = false;
    if (this.#running.size > 0 && timeoutMs === 0) timedOut = true;
    else if (this.#running.size > 0) {
      timedOut = await new Promise<boolean>((resolve) => {
        const timer = this.#clock.setTimer(() => resolve(true), timeoutMs);
        this.#idleWaiters.push(() => {
          timer.cancel();
          resolve(false);
        });
      });
    }
    const finishedWhileDraining = this.#finishedCount() - releasedCount;
    const aborted: string[] = [];
    for (const entry of [...this.#running]) {
      aborted.push(entry.id);
      // With a store the lease is left to expire, so the next process retries the task.
      this.#finish(
        entry,
        "cancelled",
        { code: SchedulerErrorCode.draining, message: "drain timed out" },
        false,
        "drain timed out",
      );
    }
    this.#reaperTimer?.cancel();
    this.#reaperTimer = undefined;
    const runnersStillRunning = await this.#joinDrivers(Math.max(0, timeoutMs - (this.#clock.now() - startedAt)));
    await this.#store?.flush();
    return {
      runnersStillRunning,
      timedOut,
      durationMs: this.#clock.now() - startedAt,
      finishedWhileDraining,
      released,
      aborted,
    };
  }

  #finishedCount(): number {
    const c = this.#counters;
    return c.completed + c.failed + c.cancelled + c.reaped;
  }

  // ---- helpers ----------------------------------------------------------------------

  #stored(entry: TaskEntry): StoredTask {
    const stored: StoredTask = {
      id: entry.id,
      priority: entry.priority,
      rateKey: entry.rateKey,
      createdAt: entry.createdAt,
      enqueuedAt: entry.enqueuedAt,
      status: entry.status,
      attempts: entry.attempts,
    };
    if (entry.agentId !== undefined) stored.agentId = entry.agentId;
    if (entry.profile !== undefined) stored.profile = entry.profile;
    if (entry.idempotencyKey !== undefined) stored.idempotencyKey = entry.idempotencyKey;
    if (entry.payload !== undefined) stored.payload = entry.payload;
    return stored;
  }

  #publish<T extends KernelEventType>(type: T, payload: KernelEventPayloads[T]): void {
    if (this.#events === undefined) return;
    this.#events.publish(createEvent(type, payload, SOURCE, this.#clock.now()));
  }
}

async function afterMicrotasks(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn++) await Promise.resolve();
}
