/**
 * The run journal: where a durable run keeps its record and every step it takes, so that after
 * a crash it continues from its last journalled step instead of starting over or failing.
 *
 * A run's steps, in order: the prompt it started with (system prompt and input, fixed once —
 * memories recalled later do not change a resumed run), then per model turn the model's
 * response, and for each tool call it requested a `tool-call` step written *before* the call
 * runs and a `tool-result` step after. A `tool-call` without its `tool-result` is a call that
 * was in flight when the process died: on resume it runs again only when its tool is
 * idempotent; otherwise the model is told that its outcome is unknown. `replaySteps` rebuilds
 * the loop's state from any prefix of the steps.
 *
 * Contract for implementations (`LibsqlRunJournal` on `@oxios/runtime/libsql`,
 * `InMemoryRunJournal` on `@oxios/runtime/testing`):
 * - Durability: every write resolves once it is durable; a write that fails rejects with a
 *   coded `KernelError` and nothing of it is stored.
 * - Ordering: writes become durable in call order (a step is never durable before the steps
 *   and the record written before it). A write is buffered synchronously, before the call
 *   returns, so a write made in the same tick as another store's on the same database can
 *   commit in the same transaction (the run's record and its scheduler task).
 * - Atomicity: one write (a record, or one step) is never split.
 * - Reads see every write whose promise resolved.
 */

import type { ToolOutcome } from "./ports.ts";
import type { RunRecord } from "./run-record.ts";
import type { TokenUsage } from "./token-budgets.ts";
import type { SpanParent } from "./tracing.ts";

/** A tool call as the model requested it (arguments as sent). */
export interface RequestedToolCall {
  callId: string;
  name: string;
  rawInput: string;
}

/** One journalled step of a run. */
export type RunStep =
  | { kind: "prompt"; system: string; input: string }
  | { kind: "model"; text: string; toolCalls: RequestedToolCall[]; usage: TokenUsage }
  | { kind: "tool-call"; callId: string; name: string }
  | { kind: "tool-result"; callId: string; name: string; input: unknown; outcome: ToolOutcome }
  | { kind: "compaction"; summary: string; usage: TokenUsage };

/** What a run was asked to do beyond its record: enough to start it again after a restart. */
export interface RunRequestDetails {
  constraints: string[];
  acceptanceCriteria: string[];
  /** The span of the run's first attempt: a resumed attempt's span is its child, in the same trace. */
  traceParent?: SpanParent;
}

/** A run as the journal keeps it. */
export interface JournalledRun {
  record: RunRecord;
  request: RunRequestDetails;
}

/** The steps one run reads and writes while it runs (what the agent loop is given). */
export interface StepJournal {
  /** Steps journalled before this attempt, oldest first; empty for a run that starts fresh. */
  readonly steps: readonly RunStep[];
  /** Appends one step; resolves once it is durable. */
  append(step: RunStep): Promise<void>;
}

/**
 * Writes take what they are given when called (serialised or copied at once) and keep no
 * reference to it: the caller may change a record right after `create`, `update` or `append`
 * returns, before the write is durable, without changing what is written.
 */
export interface RunJournal {
  /**
   * Records a new run (its record, status `queued`). Resolves once durable.
   *
   * Throws: `RUN_JOURNAL_FAILED` (the store's coded error as `cause`).
   */
  create(run: JournalledRun): Promise<void>;
  /** Replaces a run's record (status, start, resumes, outcome). Resolves once durable. */
  update(record: RunRecord): Promise<void>;
  /** Appends one step to a run. Resolves once durable. */
  append(taskId: string, step: RunStep): Promise<void>;
  get(taskId: string): Promise<RunRecord | undefined>;
  /** A run with its steps, oldest first. */
  load(taskId: string): Promise<{ run: JournalledRun; steps: RunStep[] } | undefined>;
  /** Runs still `queued` or `running`, oldest first. */
  unfinished(): Promise<JournalledRun[]>;
  /**
   * Retention: removes finished runs (and their steps) that finished before
   * `finishedBefore`, and the oldest finished ones beyond the newest `keep`. Unfinished runs
   * are never removed. Returns how many runs were removed.
   */
  prune(options: { finishedBefore: number; keep: number }): Promise<number>;
  /** Makes every write durable and releases the store. */
  close(): Promise<void>;
}
