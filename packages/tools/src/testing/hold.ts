/**
 * Hold: lets a test freeze a fake port mid-call. While held, calls wait until `release()`;
 * by default they honour their abort signal, `ignoreSignal` makes them deaf to it (to prove
 * the gate settles a call even when a port never notices cancellation).
 */

import { abortError } from "@oxios/core";

export class Hold {
  #held = false;
  #ignoreSignal = false;
  #waiters: Array<() => void> = [];
  #arrivals: Array<() => void> = [];
  /** Calls currently waiting. */
  waiting = 0;
  /** The signal each held call was handed, in arrival order (to prove a tool passes it on). */
  readonly signals: Array<AbortSignal | undefined> = [];

  hold(options: { ignoreSignal?: boolean } = {}): void {
    this.#held = true;
    this.#ignoreSignal = options.ignoreSignal ?? false;
  }

  release(): void {
    this.#held = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once a call is waiting in the hold (at once if one already is). */
  arrived(): Promise<void> {
    if (this.waiting > 0) return Promise.resolve();
    return new Promise((resolve) => this.#arrivals.push(resolve));
  }

  async pass(signal: AbortSignal | undefined): Promise<void> {
    if (!this.#held) return;
    const listen = !this.#ignoreSignal && signal !== undefined;
    this.signals.push(signal);
    this.waiting++;
    const arrivals = this.#arrivals;
    this.#arrivals = [];
    for (const wake of arrivals) wake();
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(abortError(signal as AbortSignal));
        if (listen && signal?.aborted) {
          onAbort();
          return;
        }
        if (listen) signal?.addEventListener("abort", onAbort, { once: true });
        this.#waiters.push(() => {
          if (listen) signal?.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    } finally {
      this.waiting--;
    }
  }
}
