/**
 * StepWriter: how the agent loop journals a run's steps without waiting for each one.
 *
 * A run's journal makes its writes durable in call order (the `RunJournal` contract), so a
 * step only has to be awaited before something that must not happen unless it (and every step
 * before it) is durable: a tool call runs only once its `tool-call` step is durable, and a run
 * reports its result only once all its steps are. The other steps — the prompt, each model
 * response, each tool result — are written ahead: the loop goes on (to the model, which has no
 * effect a resume could repeat) while they commit, and they share the next commit with the
 * steps that follow instead of paying one commit window each.
 *
 * A write-ahead step that fails is not lost silently: the next `durable()` rejects with its
 * error, even when later writes succeeded, so a run never acts on a journal with a gap.
 */

import type { RunStep, StepJournal } from "./run-journal.ts";

export class StepWriter {
  readonly #journal: StepJournal | undefined;
  /** Settles once every write so far has settled; never rejects. */
  #written: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;

  constructor(journal: StepJournal | undefined) {
    this.#journal = journal;
  }

  /** Buffers `step` in the journal without waiting for it; a failure surfaces at the next `durable()`. */
  writeAhead(step: RunStep): void {
    const journal = this.#journal;
    if (journal === undefined) return;
    const write = journal.append(step).then(undefined, (error: unknown) => {
      this.#failure ??= { error };
    });
    this.#written = Promise.all([this.#written, write]).then(() => undefined);
  }

  /**
   * Appends `step` (when given) and resolves once it and every step written before it are
   * durable.
   *
   * Throws: the error of the first write that failed (the journal's coded error).
   * Abort: takes no signal; a write once made is not taken back.
   */
  async durable(step?: RunStep): Promise<void> {
    if (step !== undefined) this.writeAhead(step);
    await this.#written;
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /** Resolves once every write so far has settled, durable or failed (for a run that ends with an error anyway). */
  settled(): Promise<void> {
    return this.#written;
  }
}
