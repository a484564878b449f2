/**
 * LatencyWindow: the most recent N latency samples in a ring, summarised as p50/p95 on
 * demand. Recording is O(1) with no allocation, so it stays on in the hot path; `summary()`
 * sorts a copy (O(N log N)) and is meant for `stats()`, not per task.
 */
import type { LatencySummary } from "./task.ts";

export class LatencyWindow {
  readonly #samples: Float64Array;
  #next = 0;
  #filled = 0;

  constructor(size = 4096) {
    this.#samples = new Float64Array(size);
  }

  record(value: number): void {
    this.#samples[this.#next] = value;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#filled < this.#samples.length) this.#filled++;
  }

  summary(): LatencySummary {
    if (this.#filled === 0) return { p50: 0, p95: 0, samples: 0 };
    const sorted = this.#samples.slice(0, this.#filled).sort();
    return { p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95), samples: this.#filled };
  }
}

function nearestRank(sorted: Float64Array, p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}
