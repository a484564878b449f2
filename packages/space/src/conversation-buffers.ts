/**
 * Per-session conversation buffers. Each session has its own bounded list of turns, kept in
 * the SpaceStore so a restart keeps it; nothing is shared between sessions. Appends to one
 * session are serialized by the `space.conversation` lock (rank 110) of that session, so
 * concurrent appends never lose a turn or overrun the bound; different sessions never wait
 * for each other.
 *
 * Bound: the newest `maxTurns` turns (default 50). With a `tokenBudget`, older turns are
 * also dropped until the estimated tokens of what is kept fit the budget — except the
 * newest turn, which is always kept, however long.
 *
 * With a `redactor`, a turn's content is redacted before it is stored, so a known secret a
 * model quoted never reaches the buffer.
 */

import { type Clock, estimateTokens, KernelError, noRedaction, type Redactor, systemClock } from "@oxios/core";
import { SpaceErrorCode } from "./error-codes.ts";
import { KeyedMutex } from "./keyed-mutex.ts";
import { validateId } from "./space.ts";
import type { ConversationTurn, SessionSummary, SpaceStore, TurnRole } from "./space-store.ts";

export const DEFAULT_MAX_TURNS = 50;

export interface ConversationBufferOptions {
  /** Turns kept per session; an integer ≥ 1, default 50. */
  maxTurns?: number;
  /** When set (an integer ≥ 1), the kept turns' estimated tokens stay within it. */
  tokenBudget?: number;
  /** Token estimate per turn; default `estimateTurnTokens`. */
  estimateTokens?: (turn: ConversationTurn) => number;
  /** Applied to every turn's content before it is stored; default `noRedaction`. */
  redactor?: Redactor;
}

/** What `append` accepts; `at` defaults to the clock's now. */
export interface TurnInput {
  role: TurnRole;
  content: string;
  at?: number;
}

/**
 * The default token estimate: core's `estimateTokens` of the content (4 code points a token,
 * rounded up) plus 4 for the turn's role and framing. A rough, model-independent figure
 * (English text runs about 4 characters per token in common tokenizers); pass
 * `estimateTokens` for a real one.
 */
export function estimateTurnTokens(turn: ConversationTurn): number {
  return estimateTokens(turn.content) + 4;
}

/** How many of the newest `turns` to keep under the bound and budget (at least 1 when there are turns). */
export function turnsToKeep(
  turns: readonly ConversationTurn[],
  bound: { maxTurns: number; tokenBudget?: number | undefined; estimateTokens: (turn: ConversationTurn) => number },
): number {
  const limit = Math.min(turns.length, bound.maxTurns);
  if (bound.tokenBudget === undefined || limit === 0) return limit;
  let kept = 0;
  let tokens = 0;
  for (let index = turns.length - 1; index >= turns.length - limit; index--) {
    tokens += bound.estimateTokens(turns[index] as ConversationTurn);
    if (kept > 0 && tokens > bound.tokenBudget) break;
    kept += 1;
  }
  return kept;
}

const roles: readonly TurnRole[] = ["user", "assistant", "system", "tool"];

function positiveInteger(field: string, value: number | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new KernelError(SpaceErrorCode.inputInvalid, `${field} must be an integer ≥ 1`, {
      details: { field, value },
    });
  }
  return value;
}

/**
 * The per-session conversation buffers: see the module comment. Each public method's comment
 * says how it fails ("Throws:"); besides the codes it names, any method can reject with the
 * store's failures (a database store's `DATABASE_*` codes), and an `estimateTokens` or
 * `redactor` that throws passes its error through. The constructor throws
 * `SPACE_INPUT_INVALID` for a `maxTurns` or `tokenBudget` that is not an integer ≥ 1.
 * Abort: no method takes a signal; a started call runs to its end.
 */
export class ConversationBuffers {
  readonly #store: SpaceStore;
  readonly #clock: Clock;
  readonly #maxTurns: number;
  readonly #tokenBudget: number | undefined;
  readonly #estimateTokens: (turn: ConversationTurn) => number;
  readonly #redactor: Redactor;
  readonly #locks = new KeyedMutex("space.conversation");

  constructor(options: { store: SpaceStore; clock?: Clock } & ConversationBufferOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#maxTurns = positiveInteger("maxTurns", options.maxTurns, DEFAULT_MAX_TURNS) as number;
    this.#tokenBudget = positiveInteger("tokenBudget", options.tokenBudget, undefined);
    this.#estimateTokens = options.estimateTokens ?? estimateTurnTokens;
    this.#redactor = options.redactor ?? noRedaction;
  }

  get maxTurns(): number {
    return this.#maxTurns;
  }

  get tokenBudget(): number | undefined {
    return this.#tokenBudget;
  }

  #bound() {
    return { maxTurns: this.#maxTurns, tokenBudget: this.#tokenBudget, estimateTokens: this.#estimateTokens };
  }

  /**
   * The session's turns, oldest first, within the current bound (a store written under a
   * larger bound is trimmed on read; the next append trims it for good).
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed session id.
   */
  async turns(sessionId: string): Promise<ConversationTurn[]> {
    validateId("sessionId", sessionId);
    const stored = await this.#store.turns(sessionId);
    return stored.slice(stored.length - turnsToKeep(stored, this.#bound()));
  }

  /**
   * Appends a turn to the session's buffer, dropping the oldest beyond the bound; returns the
   * stored turn.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed session id or turn (nothing stored);
   * `LOCK_ORDER` or `LOCK_REENTRANT` when its flow holds a `space.conversation` lock (rank 110)
   * or one ranked above it.
   */
  async append(sessionId: string, input: TurnInput): Promise<ConversationTurn> {
    validateId("sessionId", sessionId);
    const turn = this.#validateTurn(input);
    return this.#locks.withLock(sessionId, async () => {
      const stored = await this.#store.turns(sessionId);
      const keep = turnsToKeep([...stored, turn], this.#bound());
      await this.#store.appendTurn(sessionId, turn, keep);
      return turn;
    });
  }

  /**
   * Empties the session's buffer.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed session id; `LOCK_ORDER` or `LOCK_REENTRANT`
   * as `append`.
   */
  async clear(sessionId: string): Promise<void> {
    validateId("sessionId", sessionId);
    await this.#locks.withLock(sessionId, () => this.#store.clearTurns(sessionId));
  }

  /**
   * Sessions with turns or an active space, most recently active first. `turns` counts what
   * is kept, which may exceed a bound lowered since it was written until its next append.
   *
   * Throws: `SPACE_INPUT_INVALID` for a `limit` that is not an integer ≥ 1.
   */
  async sessions(query: { limit?: number } = {}): Promise<SessionSummary[]> {
    const limit = positiveInteger("limit", query.limit, 100) as number;
    return this.#store.sessions({ limit });
  }

  /**
   * Drops everything kept for the session: its turns and its active space.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed session id; `LOCK_ORDER` or `LOCK_REENTRANT`
   * as `append`.
   */
  async forget(sessionId: string): Promise<void> {
    validateId("sessionId", sessionId);
    await this.#locks.withLock(sessionId, () => this.#store.forgetSession(sessionId));
  }

  #validateTurn(input: TurnInput): ConversationTurn {
    if (typeof input !== "object" || input === null) {
      throw new KernelError(SpaceErrorCode.inputInvalid, "a turn must be an object {role, content}", {
        details: { field: "turn" },
      });
    }
    if (!roles.includes(input.role)) {
      throw new KernelError(SpaceErrorCode.inputInvalid, `turn role must be one of ${roles.join(", ")}`, {
        details: { field: "role", value: input.role },
      });
    }
    if (typeof input.content !== "string") {
      throw new KernelError(SpaceErrorCode.inputInvalid, "turn content must be a string", {
        details: { field: "content" },
      });
    }
    const at = input.at ?? this.#clock.now();
    if (!Number.isFinite(at)) {
      throw new KernelError(SpaceErrorCode.inputInvalid, "turn time must be a finite number", {
        details: { field: "at", value: at },
      });
    }
    return { role: input.role, content: this.#redactor.redact(input.content), at };
  }
}
