/** Messages between the runner and a system's child process (Node IPC). */

/** Child → runner: set the fake model's latency and answer `ready` once it applies. */
export interface LatencyRequest {
  type: "latency";
  ms: number;
}

/** Runner → child. */
export interface Ready {
  type: "ready";
}

/** Child → runner: one round's measurements of one system. */
export interface RoundResult {
  type: "result";
  system: string;
  runs: number;
  /** Each sequential run's wall time, ms. */
  sequentialMs: number[];
  /** CPU per sequential run, ms. */
  cpuMsPerRun: number;
  /** RSS after the sequential phase and a second of rest, MB. */
  rssAtRestMb: number;
  /** Wall time from starting the burst to its last run completing, ms. */
  burstMs: number;
  burstRuns: number;
}

export type ChildMessage = LatencyRequest | RoundResult;
