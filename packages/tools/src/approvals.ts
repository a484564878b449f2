/**
 * ApprovalBroker: pending approvals for tool calls that need one. `request` records the
 * approval (an `ApprovalRecord`, in the `ApprovalStore`), publishes `approval.requested` and
 * waits; an operator (over the API) or a supervising agent answers with `decide`. Nobody
 * answering before the deadline on the injected Clock applies the default decision (`reject`
 * unless configured otherwise), and the caller aborting cancels it — so by default a call
 * that needs an approval never runs unanswered. Each approval is decided once and publishes
 * exactly one `approval.resolved` naming who decided (`by`); deciding it again is
 * `TOOL_APPROVAL_ALREADY_DECIDED`. All state changes are synchronous, so no lock is needed.
 *
 * The record names the run and the call (`runId`, `callId`) and keeps the call's input, so a
 * run journal can find a pending approval again after a restart. Until runs resume after a
 * restart, `recoverInterrupted` marks the approvals a previous process left pending as
 * `cancelled` (their runs are reported interrupted).
 */

import { type Clock, KernelError, type Logger, newId, type Timer } from "@oxios/core";
import { createEvent, type EventPublisher } from "@oxios/event-bus";
import { ToolErrorCode } from "./error-codes.ts";

/** What happens when nobody answers in time. */
export type ApprovalDefault = "approve" | "reject";
export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired" | "cancelled";

export interface ApprovalRequest {
  agentId: string;
  tool: string;
  reason: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The call's input (already redacted), shown to whoever decides. */
  input?: unknown;
  callId?: string;
  /** The run the call belongs to (a direct run's task id). */
  runId?: string;
  /** The agent profile the agent runs under. */
  profile?: string;
  /** Default `reject`. */
  defaultDecision?: ApprovalDefault;
}

export interface ApprovalDecision {
  approvalId: string;
  approved: boolean;
  /** Who decided: the decider's name, `timeout` or `aborted`. */
  by: string;
  reason?: string;
}

/** One approval as stored and shown (the pending list, the decision's answer). */
export interface ApprovalRecord {
  approvalId: string;
  agentId: string;
  runId?: string;
  callId?: string;
  profile?: string;
  tool: string;
  input?: unknown;
  reason: string;
  requestedAt: number;
  /** When the default decision applies. */
  deadlineAt: number;
  defaultDecision: ApprovalDefault;
  status: ApprovalStatus;
  decidedBy?: string;
  decidedAt?: number;
  decisionReason?: string;
}

/** A pending approval as `pending()` lists it. */
export interface PendingApproval {
  approvalId: string;
  agentId: string;
  tool: string;
  reason: string;
  requestedAt: number;
  timeoutMs: number;
}

/**
 * Where approval records live. Contract for implementations: synchronous (a decision and its
 * write are one step); `insert` adds a new record, `update` replaces it whole; `list` returns
 * newest first; a write that returned survives a crash of the process (for a durable store).
 */
export interface ApprovalStore {
  insert(record: ApprovalRecord): void;
  update(record: ApprovalRecord): void;
  get(approvalId: string): ApprovalRecord | undefined;
  list(query: { status?: ApprovalStatus; limit: number }): ApprovalRecord[];
}

/** Records in memory: every pending one and the newest `retain` decided ones. */
export class InMemoryApprovalStore implements ApprovalStore {
  readonly #records = new Map<string, ApprovalRecord>();
  readonly #retain: number;

  constructor(options: { retain?: number } = {}) {
    this.#retain = options.retain ?? 1_000;
  }

  insert(record: ApprovalRecord): void {
    this.#records.set(record.approvalId, structuredClone(record));
    this.#trim();
  }

  update(record: ApprovalRecord): void {
    this.#records.set(record.approvalId, structuredClone(record));
    this.#trim();
  }

  get(approvalId: string): ApprovalRecord | undefined {
    const record = this.#records.get(approvalId);
    return record === undefined ? undefined : structuredClone(record);
  }

  list(query: { status?: ApprovalStatus; limit: number }): ApprovalRecord[] {
    return [...this.#records.values()]
      .filter((record) => query.status === undefined || record.status === query.status)
      .sort((a, b) => b.requestedAt - a.requestedAt || (a.approvalId < b.approvalId ? 1 : -1))
      .slice(0, query.limit)
      .map((record) => structuredClone(record));
  }

  #trim(): void {
    const decided = [...this.#records.values()].filter((record) => record.status !== "pending");
    if (decided.length <= this.#retain) return;
    decided.sort((a, b) => a.requestedAt - b.requestedAt);
    for (const record of decided.slice(0, decided.length - this.#retain)) this.#records.delete(record.approvalId);
  }
}

interface Waiter {
  record: ApprovalRecord;
  timeoutMs: number;
  timer: Timer;
  settle(decision: ApprovalDecision): void;
}

export interface ApprovalBrokerOptions {
  clock: Clock;
  publisher: EventPublisher;
  logger?: Logger;
  /** Where records are kept; default an `InMemoryApprovalStore`. */
  store?: ApprovalStore;
  /** Event source name. */
  source?: string;
}

export class ApprovalBroker {
  readonly #clock: Clock;
  readonly #publisher: EventPublisher;
  readonly #logger: Logger | undefined;
  readonly #source: string;
  readonly #store: ApprovalStore;
  readonly #pending = new Map<string, Waiter>();

  constructor(options: ApprovalBrokerOptions) {
    this.#clock = options.clock;
    this.#publisher = options.publisher;
    this.#logger = options.logger;
    this.#source = options.source ?? "tools.gate";
    this.#store = options.store ?? new InMemoryApprovalStore();
  }

  /** Approvals waiting for an answer in this process, oldest first. */
  pending(): PendingApproval[] {
    return [...this.#pending.values()].map(({ record, timeoutMs }) => ({
      approvalId: record.approvalId,
      agentId: record.agentId,
      tool: record.tool,
      reason: record.reason,
      requestedAt: record.requestedAt,
      timeoutMs,
    }));
  }

  /** Records (newest first), optionally of one status. */
  list(query: { status?: ApprovalStatus; limit?: number } = {}): ApprovalRecord[] {
    return this.#store.list({
      limit: query.limit ?? 100,
      ...(query.status === undefined ? {} : { status: query.status }),
    });
  }

  get(approvalId: string): ApprovalRecord | undefined {
    return this.#store.get(approvalId);
  }

  /**
   * Waits for a decision; resolves (never rejects) — with the default decision when nobody
   * answered by the deadline, with `approved: false` when `signal` aborts.
   *
   * Throws: `TOOL_APPROVAL_TIMEOUT_INVALID` (synchronously) for a negative or non-finite timeout.
   */
  request(request: ApprovalRequest): Promise<ApprovalDecision> {
    if (!Number.isFinite(request.timeoutMs) || request.timeoutMs < 0) {
      throw new KernelError(
        ToolErrorCode.approvalTimeoutInvalid,
        `approval timeout must be ≥ 0, got ${request.timeoutMs}`,
      );
    }
    const now = this.#clock.now();
    const approvalId = newId(now);
    const defaultDecision = request.defaultDecision ?? "reject";
    const record: ApprovalRecord = {
      approvalId,
      agentId: request.agentId,
      tool: request.tool,
      reason: request.reason,
      requestedAt: now,
      deadlineAt: now + request.timeoutMs,
      defaultDecision,
      status: "pending",
      ...(request.input === undefined ? {} : { input: request.input }),
      ...(request.callId === undefined ? {} : { callId: request.callId }),
      ...(request.runId === undefined ? {} : { runId: request.runId }),
      ...(request.profile === undefined ? {} : { profile: request.profile }),
    };
    this.#store.insert(record);
    return new Promise<ApprovalDecision>((resolvePromise) => {
      const signal = request.signal;
      const onAbort = (): void => {
        this.#settle(approvalId, "cancelled", {
          approvalId,
          approved: false,
          by: "aborted",
          reason: "the call was cancelled",
        });
      };
      const waiter: Waiter = {
        record,
        timeoutMs: request.timeoutMs,
        timer: this.#clock.setTimer(() => {
          const approved = defaultDecision === "approve";
          this.#settle(approvalId, "expired", {
            approvalId,
            approved,
            by: "timeout",
            reason: `nobody answered within ${request.timeoutMs} ms; the default decision (${defaultDecision}) applies`,
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
            ...(request.callId === undefined ? {} : { callId: request.callId }),
            ...(request.runId === undefined ? {} : { runId: request.runId }),
          },
          this.#source,
          now,
        ),
      );
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Decides a pending approval and returns its record.
   *
   * Throws: `TOOL_APPROVAL_NOT_FOUND` (no such approval), `TOOL_APPROVAL_ALREADY_DECIDED`
   * (decided before, by anyone: `details.status` and `details.decidedBy` say how),
   * `TOOL_APPROVAL_RESOLVER_INVALID` (`by` is `timeout`, `aborted` or empty, which only the
   * broker uses).
   */
  decide(approvalId: string, decision: { approved: boolean; by: string; reason?: string }): ApprovalRecord {
    if (decision.by === "timeout" || decision.by === "aborted" || decision.by.trim() === "") {
      throw new KernelError(ToolErrorCode.approvalResolverInvalid, `"${decision.by}" cannot decide an approval`);
    }
    if (!this.#pending.has(approvalId)) {
      const stored = this.#store.get(approvalId);
      if (stored === undefined) {
        throw new KernelError(ToolErrorCode.approvalNotFound, `no approval ${approvalId}`, { details: { approvalId } });
      }
      throw new KernelError(
        ToolErrorCode.approvalAlreadyDecided,
        `approval ${approvalId} was already decided (${stored.status}${stored.decidedBy === undefined ? "" : ` by ${stored.decidedBy}`})`,
        { details: { approvalId, status: stored.status, decidedBy: stored.decidedBy } },
      );
    }
    const status = decision.approved ? "approved" : "rejected";
    this.#settle(approvalId, status, { approvalId, ...decision });
    return this.#store.get(approvalId) as ApprovalRecord;
  }

  /** Answers a pending approval; false when it is unknown or already decided. */
  resolve(approvalId: string, decision: { approved: boolean; by: string; reason?: string }): boolean {
    if (decision.by === "timeout" || decision.by === "aborted") {
      throw new KernelError(
        ToolErrorCode.approvalResolverInvalid,
        `"${decision.by}" is reserved for the broker itself`,
      );
    }
    if (!this.#pending.has(approvalId)) {
      this.#logger?.debug("approval already settled or unknown; ignoring the late answer", {
        approvalId,
        by: decision.by,
      });
      return false;
    }
    this.decide(approvalId, decision);
    return true;
  }

  /**
   * Marks the records a previous process left pending as `cancelled` (nobody waits for them
   * any more) and returns them. Call once at boot, before any request.
   */
  recoverInterrupted(reason = "the kernel restarted while the approval was pending"): ApprovalRecord[] {
    const now = this.#clock.now();
    const interrupted: ApprovalRecord[] = [];
    for (const record of this.#store.list({ status: "pending", limit: Number.MAX_SAFE_INTEGER })) {
      if (this.#pending.has(record.approvalId)) continue;
      const cancelled: ApprovalRecord = {
        ...record,
        status: "cancelled",
        decidedBy: "restart",
        decidedAt: now,
        decisionReason: reason,
      };
      this.#store.update(cancelled);
      interrupted.push(cancelled);
    }
    return interrupted;
  }

  #settle(approvalId: string, status: Exclude<ApprovalStatus, "pending">, decision: ApprovalDecision): boolean {
    const waiter = this.#pending.get(approvalId);
    if (waiter === undefined) return false;
    this.#pending.delete(approvalId);
    waiter.timer.cancel();
    const record: ApprovalRecord = {
      ...waiter.record,
      status,
      decidedBy: decision.by,
      decidedAt: this.#clock.now(),
      ...(decision.reason === undefined ? {} : { decisionReason: decision.reason }),
    };
    try {
      this.#store.update(record);
    } catch (error) {
      // The decision stands (the caller is waiting on it); the stored record is behind.
      this.#logger?.error("approval decision not stored", { approvalId, error });
    }
    const payload =
      decision.reason === undefined
        ? { approvalId, approved: decision.approved, by: decision.by }
        : { approvalId, approved: decision.approved, by: decision.by, reason: decision.reason };
    this.#publisher.publish(createEvent("approval.resolved", payload, this.#source, this.#clock.now()));
    waiter.settle(decision);
    return true;
  }
}
