/**
 * ManualClock: a Clock whose time moves only when a test says so.
 *
 * `advance(ms)` fires every timer due within the window, in due-time order (ties in the order
 * they were scheduled), moving `now()` to each timer's due time as it fires; a timer is never
 * fired before its due time. `advanceAsync(ms)` does the same but lets promise continuations
 * run after each timer, so awaited work scheduled by one timer can schedule the next.
 */

import { type Clock, sleepOn, type Timer } from "../clock.ts";
import { CoreErrorCode } from "../error-codes.ts";
import { KernelError } from "../errors.ts";

interface ScheduledTimer {
  due: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  #now: number;
  #order = 0;
  #timers: ScheduledTimer[] = [];

  constructor(startMillis = Date.UTC(2026, 0, 1)) {
    this.#now = startMillis;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, ms: number): Timer {
    const timer: ScheduledTimer = {
      due: this.#now + Math.max(0, ms),
      order: this.#order++,
      callback,
      cancelled: false,
    };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves time forward by `ms`, firing due timers synchronously and in order. */
  advance(ms: number): void {
    this.#checkStep(ms);
    const target = this.#now + ms;
    for (let timer = this.#takeDue(target); timer !== undefined; timer = this.#takeDue(target)) {
      this.#now = timer.due;
      timer.callback();
    }
    this.#now = target;
  }

  /** Like `advance`, but lets promise continuations settle after every fired timer. */
  async advanceAsync(ms: number): Promise<void> {
    this.#checkStep(ms);
    const target = this.#now + ms;
    await settle();
    for (let timer = this.#takeDue(target); timer !== undefined; timer = this.#takeDue(target)) {
      this.#now = timer.due;
      timer.callback();
      await settle();
    }
    this.#now = target;
  }

  /** Moves time to the next pending timer and fires it; false when no timer is pending. */
  async runNext(): Promise<boolean> {
    const next = this.#peek();
    if (next === undefined) return false;
    await this.advanceAsync(next.due - this.#now);
    return true;
  }

  #checkStep(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new KernelError(CoreErrorCode.clockInvalid, `ManualClock cannot move by ${ms} ms`);
    }
  }

  #peek(): ScheduledTimer | undefined {
    let best: ScheduledTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.cancelled) continue;
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.order < best.order)) {
        best = timer;
      }
    }
    return best;
  }

  #takeDue(target: number): ScheduledTimer | undefined {
    this.#timers = this.#timers.filter((timer) => !timer.cancelled);
    const next = this.#peek();
    if (next === undefined || next.due > target) return undefined;
    next.cancelled = true;
    return next;
  }
}

/** Lets queued promise continuations (and the macrotasks they queue) run. */
export async function settle(): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
}
