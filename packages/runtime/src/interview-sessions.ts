/**
 * Interview sessions in the StateStore (`interviews/<sessionId>.json`), so a conversation
 * that is still being clarified survives a restart of the kernel: a new orchestrator over the
 * same state directory continues it. A session's turns are cleared once its task is seeded
 * (or it turned out to be a chat), and bounded (newest 20 turns, 4 000 characters each).
 */

import { KernelError } from "@oxios/core";
import type { StateStore } from "@oxios/state-store";
import { RuntimeErrorCode } from "./error-codes.ts";
import type { InterviewTurn } from "./interview.ts";
import { truncateChars } from "./text.ts";

export interface InterviewSession {
  sessionId: string;
  spaceId?: string;
  turns: InterviewTurn[];
  /** Rounds of clarifying questions asked for the current task. */
  questionRounds: number;
  updatedAt: number;
}

const CATEGORY = "interviews";
const MAX_TURNS = 20;
const MAX_TURN_CHARS = 4_000;
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function assertSessionId(sessionId: string): void {
  if (!SESSION_ID.test(sessionId)) {
    throw new KernelError(
      RuntimeErrorCode.sessionInvalid,
      "a session id is 1–128 characters of letters, digits, '_' and '-'",
      { details: { sessionId: truncateChars(sessionId, 140) } },
    );
  }
}

export class InterviewSessions {
  readonly #state: StateStore;

  constructor(state: StateStore) {
    this.#state = state;
  }

  async load(sessionId: string): Promise<InterviewSession | undefined> {
    const value = await this.#state.load(CATEGORY, sessionId);
    if (value === undefined) return undefined;
    const session = value as Partial<InterviewSession>;
    if (!Array.isArray(session.turns) || typeof session.questionRounds !== "number") {
      throw new KernelError(RuntimeErrorCode.sessionCorrupt, `interview session ${sessionId} is not readable`, {
        details: { sessionId },
      });
    }
    return session as InterviewSession;
  }

  /** Durable when it resolves. */
  async save(session: InterviewSession): Promise<void> {
    const turns = session.turns
      .slice(-MAX_TURNS)
      .map((turn) => ({ role: turn.role, text: truncateChars(turn.text, MAX_TURN_CHARS) }));
    await this.#state.save(CATEGORY, session.sessionId, { ...session, turns });
  }
}
