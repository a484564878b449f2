/**
 * Token usage per agent, per-agent budgets, and windowed budgets per agent profile.
 *
 * Per agent: budgets are on by default (upstream's defaulted to off): an agent without its
 * own limit gets `defaultLimit`. Entries end with their agent: `createRuntime` calls `forget`
 * when the supervisor reports that the agent ended.
 *
 * Per profile: `setWindowBudget(profile, {tokens?, calls?, window})` caps what every agent
 * `assign`ed to that profile spends together in a fixed window on the injected Clock (an hour
 * or a UTC day, aligned to the epoch: a window starts at a multiple of its length). A model
 * call counts one call and its input + output tokens. Once a window is spent, no agent of the
 * profile makes another call and none of its tasks is admitted until the next window starts;
 * then `onWindowReset` runs (the runtime passes `scheduler.reconsider`), so waiting tasks are
 * admitted without anyone having to ask.
 *
 * The scheduler's admission hook calls `canAdmit(task)`; the agent loop checks
 * `ensureAvailable` before every model call and `record`s the usage of every call.
 */

import { type Clock, KernelError, systemClock, type Timer } from "@oxios/core";
import type { TaskRecord } from "@oxios/scheduler";
import { RuntimeErrorCode } from "./error-codes.ts";

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** What a profile may spend per window; at least one of `tokens` and `calls`. */
export interface WindowBudget {
  tokens?: number;
  calls?: number;
  window: "hour" | "day";
}

/** A profile's window as it stands. */
export interface WindowUsage {
  tokens: number;
  calls: number;
  windowStart: number;
  resetsAt: number;
  budget: WindowBudget;
}

export interface TokenBudgetsOptions {
  /** Limit for agents without their own. Default 1 000 000 tokens; `Infinity` turns it off. */
  defaultLimit?: number;
  /** The clock windows are measured on. Default the system clock. */
  clock?: Clock;
  /** Called when a spent profile window ends (and the profile may spend again). */
  onWindowReset?: () => void;
}

const WINDOW_MS: Record<WindowBudget["window"], number> = { hour: 3_600_000, day: 86_400_000 };

interface WindowState {
  budget: WindowBudget;
  windowStart: number;
  tokens: number;
  calls: number;
  /** The timer that announces the end of a spent window. */
  reset?: Timer;
}

export class TokenBudgets {
  readonly #defaultLimit: number;
  readonly #clock: Clock;
  readonly #onWindowReset: (() => void) | undefined;
  readonly #limits = new Map<string, number>();
  readonly #used = new Map<string, TokenUsage>();
  readonly #windows = new Map<string, WindowState>();
  readonly #assigned = new Map<string, string>();

  constructor(options: TokenBudgetsOptions = {}) {
    this.#defaultLimit = options.defaultLimit ?? 1_000_000;
    this.#clock = options.clock ?? systemClock;
    this.#onWindowReset = options.onWindowReset;
  }

  setLimit(agentId: string, tokens: number): void {
    if (!(tokens >= 0)) throw new KernelError(RuntimeErrorCode.budgetInvalid, `token limit must be ≥ 0, got ${tokens}`);
    this.#limits.set(agentId, tokens);
  }

  limit(agentId: string): number {
    return this.#limits.get(agentId) ?? this.#defaultLimit;
  }

  /**
   * Sets (or with `undefined` removes) a profile's windowed budget. Usage in the current
   * window is kept when the budget changes (a configuration reload does not hand out a fresh
   * window). Throws `RUNTIME_BUDGET_INVALID` for a budget without a positive integer `tokens` or `calls`.
   */
  setWindowBudget(profile: string, budget: WindowBudget | undefined): void {
    const state = this.#windows.get(profile);
    if (budget === undefined) {
      state?.reset?.cancel();
      this.#windows.delete(profile);
      return;
    }
    const positive = (value: number | undefined) => value === undefined || (Number.isInteger(value) && value > 0);
    if (
      !(budget.window in WINDOW_MS) ||
      !positive(budget.tokens) ||
      !positive(budget.calls) ||
      (budget.tokens === undefined && budget.calls === undefined)
    ) {
      throw new KernelError(
        RuntimeErrorCode.budgetInvalid,
        `profile ${profile}: a window budget needs positive integer tokens or calls`,
        {
          details: { profile, budget },
        },
      );
    }
    if (state === undefined) {
      this.#windows.set(profile, {
        budget: { ...budget },
        windowStart: this.#windowStart(budget),
        tokens: 0,
        calls: 0,
      });
      return;
    }
    state.budget = { ...budget };
    this.#roll(state);
  }

  /** Counts an agent's usage against a profile's window too (until `forget`). */
  assign(agentId: string, profile: string): void {
    this.#assigned.set(agentId, profile);
  }

  record(agentId: string, usage: TokenUsage): void {
    const used = this.usage(agentId);
    const input = Math.max(0, usage.inputTokens);
    const output = Math.max(0, usage.outputTokens);
    this.#used.set(agentId, { inputTokens: used.inputTokens + input, outputTokens: used.outputTokens + output });
    const state = this.#windowOf(agentId);
    if (state === undefined) return;
    state.tokens += input + output;
    state.calls += 1;
  }

  usage(agentId: string): TokenUsage {
    return this.#used.get(agentId) ?? { inputTokens: 0, outputTokens: 0 };
  }

  remaining(agentId: string): number {
    const used = this.usage(agentId);
    return Math.max(0, this.limit(agentId) - used.inputTokens - used.outputTokens);
  }

  /** A profile's current window, or undefined when it has no windowed budget. */
  windowUsage(profile: string): WindowUsage | undefined {
    const state = this.#windows.get(profile);
    if (state === undefined) return undefined;
    this.#roll(state);
    return {
      tokens: state.tokens,
      calls: state.calls,
      windowStart: state.windowStart,
      resetsAt: state.windowStart + WINDOW_MS[state.budget.window],
      budget: { ...state.budget },
    };
  }

  /**
   * The scheduler's admission hook, shaped as `SchedulerOptions["canAdmit"]` and bound, so
   * `new Scheduler({ canAdmit: budgets.canAdmit })` works: false once the task's agent has
   * spent its budget, or its profile its window. After raising a limit, call the scheduler's
   * `reconsider()`.
   */
  readonly canAdmit = (task: Pick<TaskRecord, "agentId">): boolean =>
    task.agentId === undefined || (this.remaining(task.agentId) > 0 && this.#windowRefusal(task.agentId) === undefined);

  /** Throws `RUNTIME_BUDGET_EXCEEDED` when `agentId` has no tokens left, or its profile's window is spent. */
  ensureAvailable(agentId: string): void {
    if (this.remaining(agentId) <= 0) {
      const used = this.usage(agentId);
      throw new KernelError(
        RuntimeErrorCode.budgetExceeded,
        `agent ${agentId} has used ${used.inputTokens + used.outputTokens} of its ${this.limit(agentId)} tokens`,
        { details: { agentId, limit: this.limit(agentId), ...used } },
      );
    }
    const refusal = this.#windowRefusal(agentId);
    if (refusal !== undefined) throw refusal;
  }

  reset(agentId: string): void {
    this.#used.delete(agentId);
  }

  /** Drops the agent's limit, usage and profile assignment: call it when the agent ends (`createRuntime` does). */
  forget(agentId: string): void {
    this.#limits.delete(agentId);
    this.#used.delete(agentId);
    this.#assigned.delete(agentId);
  }

  /** How many agents have a limit, recorded usage or a profile assignment. */
  tracked(): number {
    const agents = new Set([...this.#limits.keys(), ...this.#used.keys(), ...this.#assigned.keys()]);
    return agents.size;
  }

  /** Cancels the timers of spent windows (at shutdown). */
  close(): void {
    for (const state of this.#windows.values()) {
      state.reset?.cancel();
      delete state.reset;
    }
  }

  #windowOf(agentId: string): WindowState | undefined {
    const profile = this.#assigned.get(agentId);
    const state = profile === undefined ? undefined : this.#windows.get(profile);
    if (state !== undefined) this.#roll(state);
    return state;
  }

  #windowStart(budget: WindowBudget): number {
    const length = WINDOW_MS[budget.window];
    return Math.floor(this.#clock.now() / length) * length;
  }

  /** Starts a fresh window when the clock has passed the current one. */
  #roll(state: WindowState): void {
    const start = this.#windowStart(state.budget);
    if (start === state.windowStart) return;
    state.windowStart = start;
    state.tokens = 0;
    state.calls = 0;
    state.reset?.cancel();
    delete state.reset;
  }

  #windowRefusal(agentId: string): KernelError | undefined {
    const state = this.#windowOf(agentId);
    if (state === undefined) return undefined;
    const { budget } = state;
    const spent =
      (budget.tokens !== undefined && state.tokens >= budget.tokens) ||
      (budget.calls !== undefined && state.calls >= budget.calls);
    if (!spent) return undefined;
    const profile = this.#assigned.get(agentId) as string;
    const resetsAt = state.windowStart + WINDOW_MS[budget.window];
    if (state.reset === undefined) {
      state.reset = this.#clock.setTimer(() => {
        delete state.reset;
        this.#onWindowReset?.();
      }, resetsAt - this.#clock.now());
    }
    return new KernelError(
      RuntimeErrorCode.budgetExceeded,
      `profile ${profile} has spent its budget for this ${budget.window} (${state.calls} calls, ${state.tokens} tokens); it resets at ${new Date(resetsAt).toISOString()}`,
      { details: { agentId, profile, window: budget.window, calls: state.calls, tokens: state.tokens, resetsAt } },
    );
  }
}
