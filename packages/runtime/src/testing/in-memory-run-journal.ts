/**
 * InMemoryRunJournal: a `RunJournal` in memory, for tests of durable runs without a database.
 * Every write is "durable" once its promise resolves; `steps(taskId)` and `records()` show what
 * was journalled, so a test can cut the step log anywhere and resume from the prefix.
 */

import { KernelError } from "@oxios/core";
import { RuntimeErrorCode } from "../error-codes.ts";
import type { JournalledRun, RunJournal, RunStep } from "../run-journal.ts";
import type { RunRecord } from "../run-record.ts";

export class InMemoryRunJournal implements RunJournal {
  readonly #runs = new Map<string, JournalledRun>();
  readonly #steps = new Map<string, RunStep[]>();

  async create(run: JournalledRun): Promise<void> {
    if (this.#runs.has(run.record.taskId)) {
      throw new KernelError(RuntimeErrorCode.journalFailed, `run ${run.record.taskId} is already journalled`);
    }
    this.#runs.set(run.record.taskId, structuredClone(run));
    this.#steps.set(run.record.taskId, []);
  }

  async update(record: RunRecord): Promise<void> {
    const run = this.#runs.get(record.taskId);
    if (run === undefined)
      throw new KernelError(RuntimeErrorCode.journalFailed, `no run ${record.taskId} in the journal`);
    run.record = structuredClone(record);
  }

  async append(taskId: string, step: RunStep): Promise<void> {
    const steps = this.#steps.get(taskId);
    if (steps === undefined) throw new KernelError(RuntimeErrorCode.journalFailed, `no run ${taskId} in the journal`);
    steps.push(structuredClone(step));
  }

  async get(taskId: string): Promise<RunRecord | undefined> {
    const run = this.#runs.get(taskId);
    return run === undefined ? undefined : structuredClone(run.record);
  }

  async load(taskId: string): Promise<{ run: JournalledRun; steps: RunStep[] } | undefined> {
    const run = this.#runs.get(taskId);
    return run === undefined ? undefined : { run: structuredClone(run), steps: this.steps(taskId) };
  }

  async unfinished(): Promise<JournalledRun[]> {
    return [...this.#runs.values()]
      .filter((run) => run.record.status === "queued" || run.record.status === "running")
      .map((run) => structuredClone(run));
  }

  async prune(options: { finishedBefore: number; keep: number }): Promise<number> {
    const finished = [...this.#runs.values()]
      .filter((run) => run.record.finishedAt !== undefined)
      .sort((a, b) => (b.record.finishedAt ?? 0) - (a.record.finishedAt ?? 0));
    const doomed = finished.filter(
      (run, index) => index >= options.keep || (run.record.finishedAt ?? 0) < options.finishedBefore,
    );
    for (const run of doomed) {
      this.#runs.delete(run.record.taskId);
      this.#steps.delete(run.record.taskId);
    }
    return doomed.length;
  }

  /** Nothing to release: the runs stay readable after close. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The steps journalled for a run, oldest first (a copy). */
  steps(taskId: string): RunStep[] {
    return structuredClone(this.#steps.get(taskId) ?? []);
  }

  /** Every journalled run's record. */
  records(): RunRecord[] {
    return [...this.#runs.values()].map((run) => structuredClone(run.record));
  }
}
