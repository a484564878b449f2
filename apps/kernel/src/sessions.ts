/**
 * Conversation sessions: what the kernel keeps per `sessionId` — the conversation buffer and
 * active space (`@oxios/space`) and the interview still being clarified (the state store's
 * `interviews/` category). Listed, read and deleted over the HTTP API and the CLI.
 */

import { KernelError } from "@oxios/core";
import type { ConversationTurn, SpaceManager } from "@oxios/space";
import type { StateStore } from "@oxios/state-store";
import { KernelErrorCode } from "./error-codes.ts";

export interface SessionSummaryView {
  id: string;
  spaceId?: string;
  turns: number;
  lastActivityAt: number;
}

export interface SessionView {
  id: string;
  spaceId: string;
  turns: ConversationTurn[];
  lastActivityAt: number;
  /** Whether a task is still being clarified in it (questions asked, no seed yet). */
  interviewing: boolean;
}

const INTERVIEWS = "interviews";

export class SessionService {
  readonly #spaces: SpaceManager;
  readonly #state: StateStore;

  constructor(options: { spaces: SpaceManager; state: StateStore }) {
    this.#spaces = options.spaces;
    this.#state = options.state;
  }

  /** Sessions with a conversation, most recently active first. */
  async list(limit = 100): Promise<SessionSummaryView[]> {
    const sessions = await this.#spaces.conversations.sessions({ limit });
    return sessions
      .filter((session) => session.turns > 0)
      .map((session) => ({
        id: session.sessionId,
        turns: session.turns,
        lastActivityAt: session.lastActivityAt,
        ...(session.spaceId === undefined ? {} : { spaceId: session.spaceId }),
      }));
  }

  /** Throws `SESSION_NOT_FOUND` when nothing is kept for it; a malformed id is `SPACE_INPUT_INVALID`. */
  async read(id: string): Promise<SessionView> {
    const turns = await this.#spaces.conversations.turns(id);
    const interview = (await this.#state.load(INTERVIEWS, id)) as { turns?: unknown[]; updatedAt?: number } | undefined;
    if (turns.length === 0 && interview === undefined) throw notFound(id);
    const space = await this.#spaces.activeSpace(id);
    const lastTurn = turns.at(-1)?.at ?? 0;
    return {
      id,
      spaceId: space.id,
      turns,
      lastActivityAt: Math.max(lastTurn, interview?.updatedAt ?? 0),
      interviewing: (interview?.turns?.length ?? 0) > 0,
    };
  }

  /** Forgets the session's turns, active space and interview. Throws `SESSION_NOT_FOUND`. */
  async delete(id: string): Promise<void> {
    const turns = await this.#spaces.conversations.turns(id);
    const interview = await this.#state.exists(INTERVIEWS, id);
    if (turns.length === 0 && !interview) throw notFound(id);
    await this.#spaces.forgetSession(id);
    if (interview) await this.#state.delete(INTERVIEWS, id);
  }
}

function notFound(id: string): KernelError {
  return new KernelError(KernelErrorCode.sessionNotFound, `no session ${id}`, { details: { sessionId: id } });
}
