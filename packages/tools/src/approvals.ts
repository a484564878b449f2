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
 * pending approval survives a restart: `recoverInterrupted({ resuming })` keeps the records of
 * runs that will resume pending — still listed, decided and timed out on their original
 * deadline — and the resumed run's request for the same call waits on that same approval
 * (`restoredCall` tells the run the call never ran). The others are `cancelled`.
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

/** The key of a call's approval: its run and call ids. */
function callKey(runId: string, callId: string): string {
  return `${runId}\u0000${callId}`;
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
  /**
   * Approvals kept from a previous process for a run that resumes, by call, until the resumed
   * run asks again: the approval id, and the decision once one was made (nobody waited then).
   */
  readonly #restored = new Map<string, { approvalId: string; decision?: ApprovalDecision }>();

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
    const key =
      request.runId === undefined || request.callId === undefined ? undefined : callKey(request.runId, request.callId);
    if (key !== undefined && this.#restored.has(key)) return this.#adopt(key, request.signal);
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
   * Takes over the records a previous process left pending. One whose run `resuming` says will
   * continue (it names a run and a call) stays pending: listed, decided with `decide`, given its
   * default decision at its original deadline, and the resumed run's request for the same call
   * waits on it. The others are marked `cancelled` and returned. Call once at boot, before any
   * request and before runs resume.
   */
  recoverInterrupted(options: { resuming?: (runId: string) => boolean; reason?: string } = {}): ApprovalRecord[] {
    const reason = options.reason ?? "the kernel restarted while the approval was pending";
    const now = this.#clock.now();
    const interrupted: ApprovalRecord[] = [];
    for (const record of this.#store.list({ status: "pending", limit: Number.MAX_SAFE_INTEGER })) {
      if (this.#pending.has(record.approvalId)) continue;
      if (record.runId !== undefined && record.callId !== undefined && options.resuming?.(record.runId) === true) {
        this.#restore(record, callKey(record.runId, record.callId));
        continue;
      }
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

  /**
   * True while `runId`'s call `callId` waits on an approval kept from a previous process: the
   * call never ran (it was waiting for the decision when the process stopped), so the resumed
   * run may send it through the gate again.
   */
  restoredCall(runId: string, callId: string): boolean {
    return this.#restored.has(callKey(runId, callId));
  }

  /**
   * Cancels the approvals kept for `runId` (its run concluded instead of resuming); returns
   * how many.
   */
  cancelRestored(runId: string, reason = "the run did not resume after the restart"): number {
    let cancelled = 0;
    for (const [key, restored] of this.#restored) {
      if (!key.startsWith(`${runId}\u0000`)) continue;
      this.#restored.delete(key);
      if (
        this.#settle(restored.approvalId, "cancelled", {
          approvalId: restored.approvalId,
          approved: false,
          by: "restart",
          reason,
        })
      ) {
        cancelled += 1;
      }
    }
    return cancelled;
  }

  /** Waits again for a record a previous process left pending (see `recoverInterrupted`). */
  #restore(record: ApprovalRecord, key: string): void {
    const entry: { approvalId: string; decision?: ApprovalDecision } = { approvalId: record.approvalId };
    this.#restored.set(key, entry);
    const timeoutMs = Math.max(0, record.deadlineAt - record.requestedAt);
    this.#pending.set(record.approvalId, {
      record,
      timeoutMs,
      timer: this.#clock.setTimer(
        () => {
          this.#settle(record.approvalId, "expired", {
            approvalId: record.approvalId,
            approved: record.defaultDecision === "approve",
            by: "timeout",
            reason: `nobody answered within ${timeoutMs} ms; the default decision (${record.defaultDecision}) applies`,
          });
        },
        Math.max(0, record.deadlineAt - this.#clock.now()),
      ),
      // Nobody waits yet: the resumed run's request takes the decision.
      settle: (decision) => {
        entry.decision = decision;
      },
    });
  }

  /** The resumed run's request for a restored approval: its decision, or a wait for it. */
  #adopt(key: string, signal: AbortSignal | undefined): Promise<ApprovalDecision> {
    const entry = this.#restored.get(key) as { approvalId: string; decision?: ApprovalDecision };
    this.#restored.delete(key);
    if (entry.decision !== undefined) return Promise.resolve(entry.decision);
    const waiter = this.#pending.get(entry.approvalId) as Waiter;
    const approvalId = entry.approvalId;
    return new Promise<ApprovalDecision>((resolvePromise) => {
      const onAbort = (): void => {
        this.#settle(approvalId, "cancelled", {
          approvalId,
          approved: false,
          by: "aborted",
          reason: "the call was cancelled",
        });
      };
      waiter.settle = (decision) => {
        signal?.removeEventListener("abort", onAbort);
        resolvePromise(decision);
      };
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
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
