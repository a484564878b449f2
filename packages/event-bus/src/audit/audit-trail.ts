/**
 * AuditTrail: a tamper-evident, hash-chained log of kernel actions over an `AuditStore`.
 *
 * Appends are serialized through the ranked lock `audit.append` (rank 900, innermost, so a
 * flow holding any other kernel lock may still audit) and group-committed: an idle trail
 * first awaits `gather` (one microtask by default; one event-loop turn in the kernel), and
 * every append queued meanwhile, or while a transaction is being written, goes into the next
 * transaction, so concurrent appenders share one durable write. An append's promise resolves only after its
 * transaction is durable in the store, and rejects with `AUDIT_STORE_FAILED` when the store
 * fails — the failure is also logged and published as `audit.failed`; nothing is swallowed.
 *
 * `verify()` walks the whole chain and names the first bad seq; retention (default 100,000
 * entries) prunes the oldest entries after each commit.
 *
 * With a `redactor`, every input's actor, action, resource and details are redacted before
 * they are hashed and stored, so a known secret never enters the chain.
 */

import {
  type Clock,
  KernelError,
  kernelLocks,
  type Logger,
  type Mutex,
  noRedaction,
  type Redactor,
  systemClock,
} from "@oxios/core";
import { EventBusErrorCode } from "../error-codes.ts";
import { createEvent, type EventPublisher } from "../publisher.ts";
import {
  type AuditChainState,
  type AuditEntry,
  type AuditInput,
  canonicalEntryText,
  GENESIS_HASH,
  hashEntry,
  type NormalizedAuditInput,
  normalizeAuditInput,
  PRUNED_HASH,
  sha256Hex,
} from "./audit-entry.ts";
import type { AuditQuery, AuditStore } from "./audit-store.ts";

export const DEFAULT_AUDIT_RETENTION = 100_000;

export interface AuditTrailOptions {
  store: AuditStore;
  /** Supplies `at` when an input has none. */
  clock?: Clock;
  /** Entries kept; older ones are pruned after each commit. Default 100,000. */
  retention?: number;
  /** Where `audit.failed` is published. */
  publisher?: EventPublisher;
  logger?: Logger;
  /** `source` of the events the trail publishes. */
  source?: string;
  /** Soft cap on entries per transaction (a single `appendMany` is never split). Default 2,000. */
  maxBatch?: number;
  /** Distinguishes this trail's `audit.append` lock in lock-order errors. */
  lockLabel?: string;
  /** Applied to every input before it is hashed and stored; default `noRedaction`. */
  redactor?: Redactor;
  /**
   * What an idle trail awaits before it takes the queued appends into a transaction: every
   * append made meanwhile shares that transaction (one durable write, one fsync on a libsql
   * store, instead of one each). Default: one microtask, so appends made in the same tick
   * share it. The kernel passes one turn of the event loop (`setImmediate`): the gate
   * decisions of many runs whose model answers arrived together share one commit.
   */
  gather?: () => Promise<void>;
  /**
   * SHA-256 of UTF-8 text as lowercase hex, for hashing and verifying entries. Default the
   * portable `sha256HexSync`; the kernel passes Node's native hash (about 4× faster).
   */
  sha256?: (text: string) => string;
}

/** `ok` with the chain's extent, or the first seq at which it is broken and why. */
export type AuditVerification =
  | { ok: true; count: number; firstSeq: number; lastSeq: number }
  | { ok: false; seq: number; reason: AuditBreak };

export type AuditBreak = "missing" | "hash-mismatch" | "broken-link" | "unexpected-entry" | "head-mismatch";

export interface AuditTrailStats {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly count: number;
  /** Entries queued or being written. */
  readonly pending: number;
  readonly commits: number;
  readonly appended: number;
  readonly failures: number;
}

interface PendingGroup {
  inputs: NormalizedAuditInput[];
  resolve: (entries: AuditEntry[]) => void;
  reject: (error: unknown) => void;
}

const VERIFY_PAGE = 1000;

export class AuditTrail {
  readonly #store: AuditStore;
  readonly #clock: Clock;
  readonly #retention: number;
  readonly #publisher: EventPublisher | undefined;
  readonly #logger: Logger | undefined;
  readonly #source: string;
  readonly #maxBatch: number;
  readonly #lock: Mutex;
  readonly #redactor: Redactor;
  readonly #gather: () => Promise<void>;
  readonly #sha256: (text: string) => string;
  #head: AuditChainState | undefined;
  #queue: PendingGroup[] = [];
  #queued = 0;
  #inFlight = 0;
  #drain: Promise<void> | undefined;
  #commits = 0;
  #appended = 0;
  #failures = 0;
  #closed = false;
  readonly #transactionListeners = new Set<() => void>();
  #notifying = false;
  #closing: Promise<void> | undefined;
  readonly #closeHooks = new Set<() => Promise<void>>();

  private constructor(options: AuditTrailOptions, head: AuditChainState) {
    const retention = options.retention ?? DEFAULT_AUDIT_RETENTION;
    if (!Number.isInteger(retention) || retention < 1) {
      throw new KernelError(EventBusErrorCode.auditInvalid, "retention must be an integer ≥ 1", {
        details: { retention },
      });
    }
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#retention = retention;
    this.#publisher = options.publisher;
    this.#logger = options.logger;
    this.#source = options.source ?? "audit";
    this.#maxBatch = options.maxBatch ?? 2000;
    this.#lock = kernelLocks.mutex("audit.append", options.lockLabel);
    this.#redactor = options.redactor ?? noRedaction;
    this.#gather = options.gather ?? (() => Promise.resolve());
    this.#sha256 = options.sha256 ?? sha256Hex;
    this.#head = head;
  }

  /** Opens a trail over `store`, reading where its chain stands. */
  static async open(options: AuditTrailOptions): Promise<AuditTrail> {
    const head = await storeCall(() => options.store.state(), "read the chain head");
    return new AuditTrail(options, head);
  }

  /**
   * Appends one entry; resolves with it once it is durable.
   *
   * Throws: `AUDIT_CLOSED` after `close()`; `AUDIT_INVALID` for an entry the canonical encoding
   * cannot hold (nothing is appended); `AUDIT_STORE_FAILED` when the store fails the write
   * (`details.cause` has the store's code, such as `DATABASE_BUSY`). Another writer moving the
   * head (`AUDIT_HEAD_MOVED`) is re-chained and retried; after three tries it is
   * `AUDIT_STORE_FAILED` too.
   * Abort: takes no signal; an accepted entry is written, and `close()` waits for it.
   */
  append(input: AuditInput): Promise<AuditEntry> {
    return this.appendMany([input]).then((entries) => entries[0] as AuditEntry);
  }

  /** Appends entries contiguously, in order, in one transaction; resolves once all are durable. */
  appendMany(inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
    if (this.#closed)
      return Promise.reject(new KernelError(EventBusErrorCode.auditClosed, "append after the audit trail was closed"));
    let normalized: NormalizedAuditInput[];
    try {
      normalized = inputs.map((input) => normalizeAuditInput(this.#redact(input)));
    } catch (error) {
      return Promise.reject(error);
    }
    if (normalized.length === 0) return Promise.resolve([]);
    if (this.#drain === undefined) this.#notifyTransactionStart();
    return new Promise<AuditEntry[]>((resolve, reject) => {
      this.#queue.push({ inputs: normalized, resolve, reject });
      this.#queued += normalized.length;
      this.#drain ??= this.#runDrain();
    });
  }

  /**
   * Calls `listener` synchronously whenever an append is about to start a new transaction
   * (nothing is queued or being written), before that append is queued. Appends the listener
   * makes go first into that same transaction: a writer that gathers entries for a while (the
   * `AuditSubscriber`'s window) can hand them over now instead of paying a durable transaction
   * of its own shortly after. Returns the function that removes the listener.
   */
  onTransactionStart(listener: () => void): () => void {
    this.#transactionListeners.add(listener);
    return () => {
      this.#transactionListeners.delete(listener);
    };
  }

  #notifyTransactionStart(): void {
    if (this.#notifying || this.#transactionListeners.size === 0) return;
    this.#notifying = true;
    try {
      for (const listener of this.#transactionListeners) {
        try {
          listener();
        } catch (error) {
          this.#logger?.error("an audit transaction-start listener threw; the append goes on", { error });
        }
      }
    } finally {
      this.#notifying = false;
    }
  }

  /** The input with its strings redacted (whatever its prototype); an invalid input as it is. */
  #redact(input: AuditInput): AuditInput {
    if (typeof input !== "object" || input === null) return input;
    const redactor = this.#redactor;
    return {
      ...input,
      actor: redactor.redactValue(input.actor),
      action: redactor.redactValue(input.action),
      ...(input.resource === undefined ? {} : { resource: redactor.redactValue(input.resource) }),
      ...(input.details === undefined ? {} : { details: redactor.redactValue(input.details) }),
    };
  }

  /** Resolves when every append queued so far has been committed or has failed. */
  async flush(): Promise<void> {
    while (this.#drain !== undefined) await this.#drain;
  }

  /**
   * Walks the chain: every entry's hash must match its contents, link to its predecessor,
   * and seqs must run without gaps from the chain's first to its last. Holds the append lock
   * so the chain does not move underneath.
   */
  verify(): Promise<AuditVerification> {
    return this.#lock.withLock(() => this.#verify());
  }

  query(filter: AuditQuery = {}): Promise<AuditEntry[]> {
    return storeCall(() => this.#store.query(filter), "query");
  }

  /** The entries matching `filter` (default: all), ascending, one JSON object per line. */
  async *exportJsonl(filter: Omit<AuditQuery, "afterSeq" | "limit"> = {}): AsyncGenerator<string, void, undefined> {
    let afterSeq = 0;
    for (;;) {
      const page = await this.query({ ...filter, afterSeq, limit: VERIFY_PAGE });
      for (const entry of page) yield `${JSON.stringify(entryJson(entry))}\n`;
      const last = page[page.length - 1];
      if (last === undefined || page.length < VERIFY_PAGE) return;
      afterSeq = last.seq;
    }
  }

  stats(): AuditTrailStats {
    const head = this.#head;
    const firstSeq = head?.firstSeq ?? 0;
    const lastSeq = head?.lastSeq ?? 0;
    return {
      firstSeq,
      lastSeq,
      count: head === undefined ? 0 : lastSeq - firstSeq + 1,
      pending: this.#queued + this.#inFlight,
      commits: this.#commits,
      appended: this.#appended,
      failures: this.#failures,
    };
  }

  /**
   * Registers `hook` to run when `close()` starts, while appends are still accepted (an
   * `AuditSubscriber` flushes its backlog and stops listening there, so the order in which a
   * trail and its subscriber are closed does not matter). A hook that throws is logged and
   * does not stop the close. Returns a function that removes the hook.
   */
  onClose(hook: () => Promise<void>): () => void {
    this.#closeHooks.add(hook);
    return () => {
      this.#closeHooks.delete(hook);
    };
  }

  /**
   * Runs the `onClose` hooks, stops accepting appends, waits for queued ones, then closes the
   * store. Throws: `AUDIT_STORE_FAILED` when the store cannot close.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const hooks = [...this.#closeHooks];
    this.#closeHooks.clear();
    for (const hook of hooks) {
      try {
        await hook();
      } catch (error) {
        this.#logger?.error("an audit close hook failed; closing the trail anyway", { error });
      }
    }
    this.#closed = true;
    await this.flush();
    await storeCall(() => this.#store.close(), "close");
  }

  async #runDrain(): Promise<void> {
    try {
      // Appends made while this waits join the first transaction.
      await this.#gather();
      while (this.#queue.length > 0) await this.#lock.withLock(() => this.#commitNext());
    } catch (error) {
      // Only the gathering wait or the lock can fail here (e.g. LOCK_ORDER); nothing was written.
      const groups = this.#queue;
      this.#queue = [];
      this.#queued = 0;
      for (const group of groups) group.reject(error);
      this.#logger?.error("audit appends could not take the audit lock", { error });
    } finally {
      this.#drain = undefined;
    }
  }

  async #commitNext(): Promise<void> {
    const groups: PendingGroup[] = [];
    let size = 0;
    while (
      this.#queue.length > 0 &&
      (size === 0 || size + (this.#queue[0] as PendingGroup).inputs.length <= this.#maxBatch)
    ) {
      const group = this.#queue.shift() as PendingGroup;
      groups.push(group);
      size += group.inputs.length;
    }
    this.#queued -= size;
    this.#inFlight = size;
    try {
      const written = await this.#write(groups);
      let offset = 0;
      for (const group of groups) {
        group.resolve(written.slice(offset, offset + group.inputs.length));
        offset += group.inputs.length;
      }
    } catch (error) {
      this.#head = undefined;
      this.#failures += 1;
      const failure = KernelError.hasCode(error, EventBusErrorCode.auditStoreFailed)
        ? error
        : new KernelError(EventBusErrorCode.auditStoreFailed, `audit store failed: ${messageOf(error)}`, {
            cause: error,
            details: { cause: KernelError.isInstance(error) ? error.code : undefined },
          });
      for (const group of groups) group.reject(failure);
      this.#reportFailure(failure, size + this.#queued);
    } finally {
      this.#inFlight = 0;
    }
  }

  async #write(groups: PendingGroup[]): Promise<AuditEntry[]> {
    if (this.#store.appendOnHead !== undefined)
      return this.#writeOnHead(groups, this.#store.appendOnHead.bind(this.#store));
    let head = this.#head ?? (await this.#store.state());
    for (let attempt = 0; ; attempt++) {
      const entries = this.#chain(groups, head);
      try {
        await this.#store.append(entries, head.lastSeq);
      } catch (error) {
        // Another writer on the same store moved the head: re-chain onto it and try again.
        if (KernelError.hasCode(error, EventBusErrorCode.auditHeadMoved) && attempt < 3) {
          head = await this.#store.state();
          continue;
        }
        throw error;
      }
      const last = entries[entries.length - 1] as AuditEntry;
      this.#head = { ...head, lastSeq: last.seq, lastHash: last.hash };
      this.#commits += 1;
      this.#appended += entries.length;
      await this.#applyRetention();
      return entries;
    }
  }

  /**
   * Chains onto the head the store reads inside its write transaction, so other writers on the
   * same database (kernel nodes on one sqld) never make it stale.
   */
  async #writeOnHead(
    groups: PendingGroup[],
    appendOnHead: (chain: (head: AuditChainState) => AuditEntry[]) => Promise<AuditEntry[]>,
  ): Promise<AuditEntry[]> {
    let chainedOn: AuditChainState | undefined;
    const entries = await appendOnHead((head) => {
      chainedOn = head;
      return this.#chain(groups, head);
    });
    const last = entries[entries.length - 1] as AuditEntry;
    this.#head = { ...(chainedOn as AuditChainState), lastSeq: last.seq, lastHash: last.hash };
    this.#commits += 1;
    this.#appended += entries.length;
    await this.#applyRetention();
    return entries;
  }

  #chain(groups: readonly PendingGroup[], head: AuditChainState): AuditEntry[] {
    const entries: AuditEntry[] = [];
    let seq = head.lastSeq;
    let prevHash = head.lastHash;
    const now = this.#clock.now();
    for (const group of groups) {
      for (const input of group.inputs) {
        seq += 1;
        const at = input.at ?? now;
        const hash = this.#sha256(canonicalEntryText({ ...input, seq, at }, prevHash));
        entries.push({
          seq,
          at,
          actor: input.actor,
          action: input.action,
          resource: input.resource,
          // Canonical already (normalizeAuditInput): no round trip through JSON.
          details: input.details,
          prevHash,
          hash,
        });
        prevHash = hash;
      }
    }
    return entries;
  }

  async #applyRetention(): Promise<void> {
    const head = this.#head;
    if (head === undefined || head.lastSeq - head.firstSeq + 1 <= this.#retention) return;
    try {
      this.#head = await this.#store.prune(head.lastSeq - this.#retention + 1);
    } catch (error) {
      // The entries are durable already; a failed prune only leaves the trail longer than
      // its retention. Reported, and retried after the next commit.
      this.#head = undefined;
      this.#reportFailure(KernelError.from(error, EventBusErrorCode.auditStoreFailed), 0);
    }
  }

  #reportFailure(error: KernelError, pending: number): void {
    this.#logger?.error("audit store failed", { error, pending });
    if (this.#publisher === undefined) return;
    try {
      this.#publisher.publish(
        createEvent(
          "audit.failed",
          { error: { code: error.code, message: error.message }, pending },
          this.#source,
          this.#clock.now(),
        ),
      );
    } catch (publishError) {
      this.#logger?.error("could not publish audit.failed (the failure is still reported to the appenders)", {
        error: publishError,
      });
    }
  }

  async #verify(): Promise<AuditVerification> {
    const state = await storeCall(() => this.#store.state(), "read the chain head");
    let expectedSeq = state.firstSeq;
    let previousHash = state.firstSeq === 1 ? GENESIS_HASH : state.anchor;
    while (expectedSeq <= state.lastSeq) {
      const limit = Math.min(VERIFY_PAGE, state.lastSeq - expectedSeq + 1);
      const page = await storeCall(() => this.#store.read(expectedSeq, limit), "read");
      if (page.length === 0) return { ok: false, seq: expectedSeq, reason: "missing" };
      const hashes = page.map((entry, index) => {
        const chainedFrom = index === 0 && entry.seq === state.firstSeq ? previousHash : entry.prevHash;
        return hashEntry(entry, chainedFrom === PRUNED_HASH ? state.anchor : chainedFrom, this.#sha256);
      });
      for (let index = 0; index < page.length; index++) {
        const entry = page[index] as AuditEntry;
        if (entry.seq !== expectedSeq) return { ok: false, seq: expectedSeq, reason: "missing" };
        const isFirst = entry.seq === state.firstSeq;
        const expectedPrev = isFirst ? (state.firstSeq === 1 ? GENESIS_HASH : PRUNED_HASH) : previousHash;
        if (entry.prevHash !== expectedPrev) return { ok: false, seq: entry.seq, reason: "broken-link" };
        if (hashes[index] !== entry.hash) return { ok: false, seq: entry.seq, reason: "hash-mismatch" };
        previousHash = entry.hash;
        expectedSeq += 1;
      }
    }
    if (state.lastSeq >= state.firstSeq && previousHash !== state.lastHash) {
      return { ok: false, seq: state.lastSeq, reason: "head-mismatch" };
    }
    const beyond = await storeCall(() => this.#store.read(state.lastSeq + 1, 1), "read");
    if (beyond.length > 0) return { ok: false, seq: (beyond[0] as AuditEntry).seq, reason: "unexpected-entry" };
    return { ok: true, count: state.lastSeq - state.firstSeq + 1, firstSeq: state.firstSeq, lastSeq: state.lastSeq };
  }
}

function entryJson(entry: AuditEntry): AuditEntry {
  const { seq, at, actor, action, resource, details, prevHash, hash } = entry;
  return { seq, at, actor, action, resource, details, prevHash, hash };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function storeCall<T>(operation: () => Promise<T>, what: string): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (KernelError.isInstance(error)) throw error;
    throw new KernelError(EventBusErrorCode.auditStoreFailed, `audit store could not ${what}: ${messageOf(error)}`, {
      cause: error,
    });
  }
}
