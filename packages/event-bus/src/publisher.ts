/**
 * The publishing port. Packages that emit kernel events depend on `EventPublisher`, not on
 * the bus itself, so their tests can pass a `RecordingPublisher` (from
 * `@oxios/event-bus/testing`) and the kernel passes the real bus.
 */

import { newId } from "@oxios/core";
import type { KernelEventOf, KernelEventPayloads, KernelEventType } from "./events.ts";

/** What happened to one published event: how many subscribers got it, how many lost it. */
export interface PublishResult {
  readonly delivered: number;
  readonly dropped: number;
}

export interface EventPublisher {
  publish(event: KernelEventOf<KernelEventType>): PublishResult;
  /**
   * Whether an event of `type` published now would reach any listener or subscription. A
   * publisher that cannot tell leaves it out, and callers then treat every type as observed.
   * Lets a producer skip work only an observer needs (the agent loop reads a whole model
   * response instead of a stream when nobody follows `agent.output`).
   */
  isObserved?(type: KernelEventType): boolean;
}

/** Builds an event with a fresh time-ordered id. `at` defaults to now; pass `clock.now()`. */
export function createEvent<T extends KernelEventType>(
  type: T,
  payload: KernelEventPayloads[T],
  source: string,
  at: number = Date.now(),
): KernelEventOf<T> {
  return { type, id: newId(at), at, source, payload };
}
