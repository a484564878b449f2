/** Agent specifications, handles and the context an agent function runs with. */

import type { Priority } from "@oxios/event-bus";
import type { AgentStatus } from "./agent-status.ts";

export interface AgentContext {
  readonly agentId: string;
  readonly runId: string;
  /** Aborts on kill, timeout, scheduler cancel/reap or the caller's signal. Pass it on. */
  readonly signal: AbortSignal;
  /** Renews the scheduler lease; call it during long runs (zombie reaping). */
  heartbeat(): void;
}

export type AgentFunction<Input = unknown, Output = unknown> = (input: Input, context: AgentContext) => Promise<Output>;

/** Serialisable state an agent may declare so the supervisor can export and import it. */
export interface AgentStateHooks {
  export(): unknown;
  import(state: unknown): void;
}

export interface AgentSpec<Input = unknown, Output = unknown> {
  name: string;
  /** The agent's id (one that continues an earlier agent's work, such as a resumed run). Default a fresh id. */
  id?: string;
  run: AgentFunction<Input, Output>;
  seedId?: string;
  priority?: Priority;
  /** Rate-limit bucket, usually the LLM provider. */
  rateKey?: string;
  /** The agent profile it was spawned with; its runs' scheduler tasks carry it. */
  profile?: string;
  /** Per-run timeout; default from the supervisor (300 s). */
  timeoutMs?: number;
  state?: AgentStateHooks;
}

export interface AgentHandle {
  readonly id: string;
  readonly name: string;
  readonly status: AgentStatus;
  readonly createdAt: number;
  readonly seedId?: string;
  /** Runs completed, failed or stopped so far. */
  readonly runs: number;
  readonly lastError?: { code: string; message: string };
}
