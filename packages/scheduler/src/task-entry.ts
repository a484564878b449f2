/**
 * TaskEntry and TaskLease: the scheduler's internal, mutable view of one task, and the lease
 * it hands to the runner. Promises for `admitted` and `settled` are created only when someone
 * asks for them, so a fire-and-forget submit that gets cancelled never leaves an unhandled
 * rejection behind, and the hot path allocates no promises it does not need.
 */
import type { KernelError } from "@oxios/core";
import type { HeapItem } from "./internal/indexed-heap.ts";
import type { Lease, Priority, TaskError, TaskHandle, TaskRecord, TaskStatus } from "./task.ts";

interface Deferred<T> {
  promise: Promise<T>;
  resolve?: (value: T) => void;
  reject?: (error: unknown) => void;
}

function pending<T>(): Deferred<T> {
  const deferred: Deferred<T> = { promise: undefined as unknown as Promise<T> };
  deferred.promise = new Promise<T>((resolve, reject) => {
    deferred.resolve = resolve;
    deferred.reject = reject;
  });
  return deferred;
}

export class TaskLease implements Lease {
  readonly taskId: string;
  readonly attempt: number;
  readonly idempotencyKey: string | undefined;
  readonly #onHeartbeat: (lease: TaskLease) => boolean;
  #controller: AbortController | undefined;
  #reason: KernelError | undefined;

  constructor(
    taskId: string,
    attempt: number,
    idempotencyKey: string | undefined,
    onHeartbeat: (lease: TaskLease) => boolean,
  ) {
    this.taskId = taskId;
    this.attempt = attempt;
    this.idempotencyKey = idempotencyKey;
    this.#onHeartbeat = onHeartbeat;
  }

  /** Created on first use: most no-op tasks never look at it. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Why the lease was revoked, if it was. */
  get abortReason(): KernelError | undefined {
    return this.#reason;
  }

  heartbeat(): boolean {
    return this.#onHeartbeat(this);
  }

  /** Revokes the lease; the first reason wins. */
  abort(reason: KernelError): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

export class TaskEntry implements HeapItem {
  heapIndex = -1;
  readonly id: string;
  readonly priority: Priority;
  readonly rank: number;
  readonly rateKey: string;
  readonly agentId: string | undefined;
  readonly profile: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly payload: unknown;
  readonly createdAt: number;
  readonly enqueuedAt: number;
  /** Heap order: smaller first; ties broken by `seq` (FIFO). */
  readonly orderKey: number;
  readonly seq: number;
  status: TaskStatus = "queued";
  attempts: number;
  admittedAt: number | undefined;
  lastHeartbeatAt: number | undefined;
  /** When the stored lease was last extended (durable queue). */
  renewedAt: number | undefined;
  finishedAt: number | undefined;
  result: unknown;
  error: TaskError | undefined;
  lease: TaskLease | undefined;
  #admission: TaskLease | KernelError | undefined;
  #admitted: Deferred<Lease> | undefined;
  #settled: Deferred<TaskRecord> | undefined;

  constructor(fields: {
    id: string;
    priority: Priority;
    rank: number;
    rateKey: string;
    agentId: string | undefined;
    profile: string | undefined;
    idempotencyKey: string | undefined;
    payload: unknown;
    createdAt: number;
    enqueuedAt: number;
    orderKey: number;
    seq: number;
    attempts: number;
  }) {
    this.id = fields.id;
    this.priority = fields.priority;
    this.rank = fields.rank;
    this.rateKey = fields.rateKey;
    this.agentId = fields.agentId;
    this.profile = fields.profile;
    this.idempotencyKey = fields.idempotencyKey;
    this.payload = fields.payload;
    this.createdAt = fields.createdAt;
    this.enqueuedAt = fields.enqueuedAt;
    this.orderKey = fields.orderKey;
    this.seq = fields.seq;
    this.attempts = fields.attempts;
  }

  get terminal(): boolean {
    return this.status !== "queued" && this.status !== "running";
  }

  snapshot(): TaskRecord {
    const record: Record<string, unknown> = {
      id: this.id,
      priority: this.priority,
      rateKey: this.rateKey,
      createdAt: this.createdAt,
      enqueuedAt: this.enqueuedAt,
      status: this.status,
      attempts: this.attempts,
    };
    if (this.agentId !== undefined) record.agentId = this.agentId;
    if (this.profile !== undefined) record.profile = this.profile;
    if (this.idempotencyKey !== undefined) record.idempotencyKey = this.idempotencyKey;
    if (this.payload !== undefined) record.payload = this.payload;
    if (this.admittedAt !== undefined) {
      record.admittedAt = this.admittedAt;
      record.waitingMs = this.admittedAt - this.enqueuedAt;
    }
    if (this.lastHeartbeatAt !== undefined) record.lastHeartbeatAt = this.lastHeartbeatAt;
    if (this.finishedAt !== undefined) {
      record.finishedAt = this.finishedAt;
      record.turnaroundMs = this.finishedAt - this.enqueuedAt;
    }
    if (this.result !== undefined) record.result = this.result;
    if (this.error !== undefined) record.error = this.error;
    return record as unknown as TaskRecord;
  }

  /** Decides the `admitted` promise once: a lease, or the error that ended the task first. */
  decideAdmission(outcome: TaskLease | KernelError): void {
    if (this.#admission !== undefined) return;
    this.#admission = outcome;
    const deferred = this.#admitted;
    if (deferred === undefined) return;
    if (outcome instanceof TaskLease) deferred.resolve?.(outcome);
    else deferred.reject?.(outcome);
  }

  admittedPromise(): Promise<Lease> {
    if (this.#admitted === undefined) {
      const outcome = this.#admission;
      if (outcome === undefined) this.#admitted = pending();
      else
        this.#admitted = {
          promise: outcome instanceof TaskLease ? Promise.resolve(outcome) : Promise.reject(outcome),
        };
    }
    return this.#admitted.promise;
  }

  /** Called once the task is terminal. */
  settle(): void {
    this.#settled?.resolve?.(this.snapshot());
  }

  settledPromise(): Promise<TaskRecord> {
    if (this.#settled === undefined) {
      this.#settled = this.terminal ? { promise: Promise.resolve(this.snapshot()) } : pending();
    }
    return this.#settled.promise;
  }
}

/** The handle `submit` returns: a thin view over the entry. */
export class EntryHandle implements TaskHandle {
  readonly #entry: TaskEntry;

  constructor(entry: TaskEntry) {
    this.#entry = entry;
  }

  get id(): string {
    return this.#entry.id;
  }

  get admitted(): Promise<Lease> {
    return this.#entry.admittedPromise();
  }

  get settled(): Promise<TaskRecord> {
    return this.#entry.settledPromise();
  }
}
