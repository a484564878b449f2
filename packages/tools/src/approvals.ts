/**
 * ApprovalBroker: pending approvals for dangerous tool calls. `request` publishes
 * `approval.requested` and waits; someone (an operator over the API, a supervising agent)
 * calls `resolve`. Nobody answering before the timeout on the injected Clock is a denial, and
 * so is the caller aborting — a dangerous action never runs by default. Each approval settles
 * once and publishes exactly one `approval.resolved`. All state changes are synchronous, so
 * no lock is needed.
 */

import { type Clock, KernelError, type Logger, newId, type Timer } from "@oxios/core";
import { createEvent, type EventPublisher } from "@oxios/event-bus";
import { ToolErrorCode } from "./error-codes.ts";

export interface ApprovalRequest {
  agentId: string;
  tool: string;
  reason: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ApprovalDecision {
  approvalId: string;
  approved: boolean;
  /** Who decided: the resolver's name, `timeout` or `aborted`. */
  by: string;
  reason?: string;
}

export interface PendingApproval {
  approvalId: string;
  agentId: string;
  tool: string;
  reason: string;
  requestedAt: number;
  timeoutMs: number;
}

interface Waiter {
  info: PendingApproval;
  timer: Timer;
  settle(decision: ApprovalDecision): void;
}

export interface ApprovalBrokerOptions {
  clock: Clock;
  publisher: EventPublisher;
  logger?: Logger;
  /** Event source name. */
  source?: string;
}

export class ApprovalBroker {
  readonly #clock: Clock;
  readonly #publisher: EventPublisher;
  readonly #logger: Logger | undefined;
  readonly #source: string;
  readonly #pending = new Map<string, Waiter>();

  constructor(options: ApprovalBrokerOptions) {
    this.#clock = options.clock;
    this.#publisher = options.publisher;
    this.#logger = options.logger;
    this.#source = options.source ?? "tools.gate";
  }

  /** Approvals waiting for an answer, oldest first. */
  pending(): PendingApproval[] {
    return [...this.#pending.values()].map((waiter) => ({ ...waiter.info }));
  }

  /** Waits for a decision; resolves (never rejects) with `approved: false` on timeout or abort. */
  request(request: ApprovalRequest): Promise<ApprovalDecision> {
    if (!Number.isFinite(request.timeoutMs) || request.timeoutMs < 0) {
      throw new KernelError(
        ToolErrorCode.approvalTimeoutInvalid,
        `approval timeout must be ≥ 0, got ${request.timeoutMs}`,
      );
    }
    const approvalId = newId(this.#clock.now());
    const info: PendingApproval = {
      approvalId,
      agentId: request.agentId,
      tool: request.tool,
      reason: request.reason,
      requestedAt: this.#clock.now(),
      timeoutMs: request.timeoutMs,
    };
    return new Promise<ApprovalDecision>((resolvePromise) => {
      const signal = request.signal;
      const onAbort = (): void => {
        this.#settle(approvalId, { approvalId, approved: false, by: "aborted", reason: "the call was cancelled" });
      };
      const waiter: Waiter = {
        info,
        timer: this.#clock.setTimer(() => {
          this.#settle(approvalId, {
            approvalId,
            approved: false,
            by: "timeout",
            reason: `nobody approved within ${request.timeoutMs} ms`,
          });
        }, request.timeoutMs),
        settle: (decision) => {
          signal?.removeEventListener("abort", onAbort);
          resolvePromise(decision);
        },
      };
      this.#pending.set(approvalId, waiter);
      this.#publisher.publish(
        createEvent(
          "approval.requested",
          {
            approvalId,
            agentId: request.agentId,
            tool: request.tool,
            reason: request.reason,
            timeoutMs: request.timeoutMs,
          },
          this.#source,
          this.#clock.now(),
        ),
      );
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Answers a pending approval; false when it is unknown or already settled. */
  resolve(approvalId: string, decision: { approved: boolean; by: string; reason?: string }): boolean {
    if (decision.by === "timeout" || decision.by === "aborted") {
      throw new KernelError(
        ToolErrorCode.approvalResolverInvalid,
        `"${decision.by}" is reserved for the broker itself`,
      );
    }
    return this.#settle(approvalId, { approvalId, ...decision });
  }

  #settle(approvalId: string, decision: ApprovalDecision): boolean {
    const waiter = this.#pending.get(approvalId);
    if (waiter === undefined) {
      this.#logger?.debug("approval already settled or unknown; ignoring the late answer", {
        approvalId,
        by: decision.by,
      });
      return false;
    }
    this.#pending.delete(approvalId);
    waiter.timer.cancel();
    const payload =
      decision.reason === undefined
        ? { approvalId, approved: decision.approved, by: decision.by }
        : { approvalId, approved: decision.approved, by: decision.by, reason: decision.reason };
    this.#publisher.publish(createEvent("approval.resolved", payload, this.#source, this.#clock.now()));
    waiter.settle(decision);
    return true;
  }
}
