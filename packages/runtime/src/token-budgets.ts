/**
 * Token usage per agent and per-agent budgets. Budgets are on by default (upstream's
 * defaulted to off): an agent without its own limit gets `defaultLimit`. The scheduler's
 * admission hook calls `canAdmit(task)`; the agent loop checks `ensureAvailable` before
 * every model call and `record`s the usage of every call. Entries end with their agent:
 * `createRuntime` calls `forget` when the supervisor reports that the agent ended, so a kernel
 * that spawns an agent per run does not keep one entry per run forever.
 */

import { KernelError } from "@oxios/core";
import type { TaskRecord } from "@oxios/scheduler";
import { RuntimeErrorCode } from "./error-codes.ts";

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface TokenBudgetsOptions {
  /** Limit for agents without their own. Default 1 000 000 tokens; `Infinity` turns it off. */
  defaultLimit?: number;
}

export class TokenBudgets {
  readonly #defaultLimit: number;
  readonly #limits = new Map<string, number>();
  readonly #used = new Map<string, TokenUsage>();

  constructor(options: TokenBudgetsOptions = {}) {
    this.#defaultLimit = options.defaultLimit ?? 1_000_000;
  }

  setLimit(agentId: string, tokens: number): void {
    if (!(tokens >= 0)) throw new KernelError(RuntimeErrorCode.budgetInvalid, `token limit must be ≥ 0, got ${tokens}`);
    this.#limits.set(agentId, tokens);
  }

  limit(agentId: string): number {
    return this.#limits.get(agentId) ?? this.#defaultLimit;
  }

  record(agentId: string, usage: TokenUsage): void {
    const used = this.usage(agentId);
    this.#used.set(agentId, {
      inputTokens: used.inputTokens + Math.max(0, usage.inputTokens),
      outputTokens: used.outputTokens + Math.max(0, usage.outputTokens),
    });
  }

  usage(agentId: string): TokenUsage {
    return this.#used.get(agentId) ?? { inputTokens: 0, outputTokens: 0 };
  }

  remaining(agentId: string): number {
    const used = this.usage(agentId);
    return Math.max(0, this.limit(agentId) - used.inputTokens - used.outputTokens);
  }

  /**
   * The scheduler's admission hook, shaped as `SchedulerOptions["canAdmit"]` and bound, so
   * `new Scheduler({ canAdmit: budgets.canAdmit })` works: false once the task's agent has
   * spent its budget. After raising a limit, call the scheduler's `reconsider()`.
   */
  readonly canAdmit = (task: Pick<TaskRecord, "agentId">): boolean =>
    task.agentId === undefined || this.remaining(task.agentId) > 0;

  /** Throws `RUNTIME_BUDGET_EXCEEDED` when `agentId` has no tokens left. */
  ensureAvailable(agentId: string): void {
    if (this.remaining(agentId) > 0) return;
    const used = this.usage(agentId);
    throw new KernelError(
      RuntimeErrorCode.budgetExceeded,
      `agent ${agentId} has used ${used.inputTokens + used.outputTokens} of its ${this.limit(agentId)} tokens`,
      { details: { agentId, limit: this.limit(agentId), ...used } },
    );
  }

  reset(agentId: string): void {
    this.#used.delete(agentId);
  }

  /** Drops the agent's limit and usage: call it when the agent ends (`createRuntime` does). */
  forget(agentId: string): void {
    this.#limits.delete(agentId);
    this.#used.delete(agentId);
  }

  /** How many agents have a limit or recorded usage. */
  tracked(): number {
    let count = this.#limits.size;
    for (const agentId of this.#used.keys()) if (!this.#limits.has(agentId)) count += 1;
    return count;
  }
}
