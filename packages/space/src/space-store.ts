/**
 * The storage port of @oxios/space. The manager keeps no state of its own beyond locks, so
 * whatever a store keeps survives a restart: spaces, memory links, each session's active
 * space and each session's conversation turns. `InMemorySpaceStore` ships in this package;
 * `LibsqlSpaceStore` on `@oxios/space/libsql`.
 *
 * Contract every implementation keeps:
 * - names are unique by `spaceNameKey`: `insertSpace`/`updateSpace` reject a clash with
 *   `SPACE_NAME_TAKEN` and write nothing (the manager also checks, under its lock; the store
 *   check is what protects several managers sharing one database);
 * - each method is atomic: a failed call leaves stored data as it was;
 * - returned records are copies; mutating them changes nothing stored;
 * - runtime failures leave as `KernelError` (a database store's are the `DATABASE_*` codes
 *   of `@oxios/database`: `DATABASE_BUSY`, `DATABASE_FULL`, …).
 */

import type { Space } from "./space.ts";

export type TurnRole = "user" | "assistant" | "system" | "tool";

/** One entry of a session's conversation buffer. */
export interface ConversationTurn {
  readonly role: TurnRole;
  readonly content: string;
  /** Unix milliseconds. */
  readonly at: number;
}

/** A session as `sessions` lists it: its active space, its kept turns, its last activity. */
export interface SessionSummary {
  readonly sessionId: string;
  readonly spaceId?: string;
  /** Turns kept in its conversation buffer. */
  readonly turns: number;
  /** The newest of its last turn and its space's activation, Unix ms. */
  readonly lastActivityAt: number;
}

export interface SpaceStore {
  /** Every space, in no particular order. */
  listSpaces(): Promise<Space[]>;
  getSpace(id: string): Promise<Space | undefined>;
  /** Adds a space; `SPACE_NAME_TAKEN` on a name clash, `SPACE_ID_TAKEN` on an id clash. */
  insertSpace(space: Space): Promise<void>;
  /**
   * Replaces every field but `createdAt` and `lastActiveAt`; `false` when there is no such
   * space; `SPACE_NAME_TAKEN` on a name clash.
   */
  updateSpace(space: Space): Promise<boolean>;
  /** Moves `lastActiveAt` forward to `at` (never back); the updated space, or `undefined`. */
  touchSpace(id: string, at: number): Promise<Space | undefined>;
  /** Deletes the space with its memory links and every session activation pointing at it. */
  deleteSpace(id: string): Promise<boolean>;

  /** `true` when the link is new; `false` when it existed or the space does not. */
  linkMemory(spaceId: string, memoryId: string, at: number): Promise<boolean>;
  /** `true` when a link was removed. */
  unlinkMemory(spaceId: string, memoryId: string): Promise<boolean>;
  /** Memory ids linked to the space, oldest link first. */
  linkedMemories(spaceId: string): Promise<string[]>;

  /** The space id active in the session, if one was set. */
  activeSpaceId(sessionId: string): Promise<string | undefined>;
  /** Sets the session's active space in one step with checking it exists; `false` when it does not. */
  setActiveSpace(sessionId: string, spaceId: string, at: number): Promise<boolean>;

  /** The session's turns, oldest first. */
  turns(sessionId: string): Promise<ConversationTurn[]>;
  /** Appends a turn, then keeps only the newest `keep` turns of the session, in one step. */
  appendTurn(sessionId: string, turn: ConversationTurn, keep: number): Promise<void>;
  /** Removes the session's turns; `true` when there were any. */
  clearTurns(sessionId: string): Promise<boolean>;
  /** Removes the session's active space and turns. */
  forgetSession(sessionId: string): Promise<void>;
  /** Sessions with turns or an active space, most recently active first, at most `limit`. */
  sessions(query: { limit: number }): Promise<SessionSummary[]>;
}
