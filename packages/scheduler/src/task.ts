/**
 * The scheduler's public data model: what a caller submits (`TaskSpec`), what it gets back
 * (`TaskHandle`, `Lease`) and what it can read (`TaskRecord`, `SchedulerStats`,
 * `DrainReport`).
 */
import type { Priority } from "@oxios/event-bus";

export type { Priority };

/** The four priorities, lowest first. */
export const PRIORITIES: readonly Priority[] = ["low", "normal", "high", "critical"];

export type TaskStatus = "queued" | "running" | "completed" | "failed" | "cancelled" | "reaped";

/** The statuses a task never leaves. */
export type TerminalStatus = Exclude<TaskStatus, "queued" | "running">;

/** What a caller submits. Everything is optional; `priority` defaults to `normal`. */
export interface TaskSpec<P = unknown> {
  /** Unique among the tasks this scheduler knows (live and recently finished); default a fresh id. */
  id?: string;
  /**
   * `id` was made just now by the caller from a fresh random source (a UUIDv7, as `newId`
   * makes) and is stored nowhere, as an id the scheduler makes itself: a durable store skips
   * its duplicate-id read (a point read; on a served database a round trip). The scheduler's
   * own check against the tasks it knows still runs.
   */
  freshId?: boolean;
  priority?: Priority;
  /** The token bucket this task draws from (e.g. the LLM provider); default `"default"`. */
  rateKey?: string;
  /** Counted against `maxPerAgent` while running. */
  agentId?: string;
  /**
   * The agent profile the task runs under. A durable queue stores it, so a cluster node's
   * `admitNext` can count running tasks per profile against the profile's cap.
   */
  profile?: string;
  /** Handed to the runner on every attempt, so a retried task can make its effect once. */
  idempotencyKey?: string;
  /** The work's description; must be JSON-serializable when the scheduler has a store. */
  payload?: P;
}

/** An error as a task record carries it. */
export interface TaskError {
  code: string;
  message: string;
}

/** A read-only snapshot of one task. */
export interface TaskRecord<P = unknown> {
  readonly id: string;
  readonly priority: Priority;
  readonly rateKey: string;
  readonly agentId?: string;
  readonly profile?: string;
  readonly idempotencyKey?: string;
  readonly payload?: P;
  /** When the task was first submitted (survives restarts of a durable queue). */
  readonly createdAt: number;
  /** When it (re-)entered the queue; waiting time and aging count from here. */
  readonly enqueuedAt: number;
  readonly status: TaskStatus;
  /** Admissions so far, including those in processes that died (durable queue). */
  readonly attempts: number;
  readonly admittedAt?: number;
  readonly lastHeartbeatAt?: number;
  readonly finishedAt?: number;
  /** admittedAt − enqueuedAt, once admitted. */
  readonly waitingMs?: number;
  /** finishedAt − enqueuedAt, once finished. */
  readonly turnaroundMs?: number;
  /** What `complete` was given. */
  readonly result?: unknown;
  /** Why it failed, was cancelled (`SCHEDULER_TASK_CANCELLED`, `SCHEDULER_DRAINING`) or reaped. */
  readonly error?: TaskError;
}

/**
 * The right to run one admitted task. The runner must stop when `signal` aborts (cancel,
 * zombie reaping, drain timeout) and must call `heartbeat()` more often than
 * `zombieAfterMs`, or it is reaped. `heartbeat()` returns false once the lease is no longer
 * valid (the task finished, was cancelled or reaped, or — in a cluster — this node could no
 * longer be sure it holds the task: then the heartbeat aborts `signal` with
 * `SCHEDULER_TASK_INTERRUPTED`). Heartbeat right before an action that must happen once, and
 * act only if `signal` is not aborted after it.
 */
export interface Lease {
  readonly taskId: string;
  readonly signal: AbortSignal;
  /** 1 for the first admission; higher when a durable task is retried. */
  readonly attempt: number;
  readonly idempotencyKey?: string;
  heartbeat(): boolean;
}

/** What `submit` returns. */
export interface TaskHandle {
  readonly id: string;
  /** Resolves with the lease when the task is admitted; rejects (KernelError) if it ends first. */
  readonly admitted: Promise<Lease>;
  /** Resolves with the final record when the task reaches a terminal status; never rejects. */
  readonly settled: Promise<TaskRecord>;
}

/** p50/p95 over the most recent samples (a bounded window). */
export interface LatencySummary {
  readonly p50: number;
  readonly p95: number;
  /** How many samples the window holds. */
  readonly samples: number;
}

export interface SchedulerStats {
  /** Counters since construction; each task counts once in exactly one terminal counter. */
  readonly submitted: number;
  readonly admitted: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly reaped: number;
  /** Gauges. */
  readonly queued: number;
  readonly running: number;
  readonly draining: boolean;
  /** Queue to admission, ms. */
  readonly waitingMs: LatencySummary;
  /** Queue to completion or failure, ms. */
  readonly turnaroundMs: LatencySummary;
}

export interface DrainReport {
  /** True when running tasks were still running at the deadline and were aborted. */
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** Tasks that reached a terminal status by themselves while the drain waited. */
  readonly finishedWhileDraining: number;
  /** Queued tasks that were never admitted (with a store they stay queued on disk). */
  readonly released: readonly string[];
  /** Running tasks aborted at the deadline. */
  readonly aborted: readonly string[];
  /**
   * Runners of recovered tasks (see `recover`) still running when drain returned: their task
   * was aborted at the deadline but the runner ignored the signal. Drain waits for these
   * runners within its timeout and reports the rest; they stay owned (awaited, logged).
   */
  readonly runnersStillRunning: number;
}
