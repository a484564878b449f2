/**
 * A SpaceStore held in process memory: for tests, for embedders that want no database, and
 * as the reference the libsql adapter is checked against. Every method does its work
 * synchronously before its promise settles, so each one is atomic.
 */

import { KernelError } from "@oxios/core";
import { SpaceErrorCode } from "./error-codes.ts";
import { type Space, spaceNameKey } from "./space.ts";
import type { ConversationTurn, SessionSummary, SpaceStore } from "./space-store.ts";

function copySpace(space: Space): Space {
  return { ...space, paths: [...space.paths], tags: [...space.tags] };
}

function nameTaken(name: string, holder: Space): KernelError {
  return new KernelError(SpaceErrorCode.nameTaken, `a space named ${JSON.stringify(holder.name)} already exists`, {
    details: { name, spaceId: holder.id },
  });
}

export class InMemorySpaceStore implements SpaceStore {
  readonly #spaces = new Map<string, Space>();
  readonly #links = new Map<string, Map<string, number>>();
  readonly #active = new Map<string, string>();
  readonly #turns = new Map<string, ConversationTurn[]>();
  readonly #activatedAt = new Map<string, number>();

  #holderOf(name: string, exceptId: string): Space | undefined {
    const key = spaceNameKey(name);
    for (const space of this.#spaces.values()) {
      if (space.id !== exceptId && spaceNameKey(space.name) === key) return space;
    }
    return undefined;
  }

  async listSpaces(): Promise<Space[]> {
    return [...this.#spaces.values()].map(copySpace);
  }

  async getSpace(id: string): Promise<Space | undefined> {
    const space = this.#spaces.get(id);
    return space === undefined ? undefined : copySpace(space);
  }

  async insertSpace(space: Space): Promise<void> {
    if (this.#spaces.has(space.id)) {
      throw new KernelError(SpaceErrorCode.idTaken, `a space with id ${space.id} already exists`, {
        details: { spaceId: space.id },
      });
    }
    const holder = this.#holderOf(space.name, space.id);
    if (holder !== undefined) throw nameTaken(space.name, holder);
    this.#spaces.set(space.id, copySpace(space));
  }

  async updateSpace(space: Space): Promise<boolean> {
    const current = this.#spaces.get(space.id);
    if (current === undefined) return false;
    const holder = this.#holderOf(space.name, space.id);
    if (holder !== undefined) throw nameTaken(space.name, holder);
    this.#spaces.set(space.id, {
      ...copySpace(space),
      createdAt: current.createdAt,
      lastActiveAt: current.lastActiveAt,
    });
    return true;
  }

  async touchSpace(id: string, at: number): Promise<Space | undefined> {
    const current = this.#spaces.get(id);
    if (current === undefined) return undefined;
    const touched = { ...current, lastActiveAt: Math.max(current.lastActiveAt, at) };
    this.#spaces.set(id, touched);
    return copySpace(touched);
  }

  async deleteSpace(id: string): Promise<boolean> {
    if (!this.#spaces.delete(id)) return false;
    this.#links.delete(id);
    for (const [sessionId, spaceId] of this.#active) {
      if (spaceId !== id) continue;
      this.#active.delete(sessionId);
      this.#activatedAt.delete(sessionId);
    }
    return true;
  }

  async linkMemory(spaceId: string, memoryId: string, at: number): Promise<boolean> {
    if (!this.#spaces.has(spaceId)) return false;
    let links = this.#links.get(spaceId);
    if (links === undefined) {
      links = new Map();
      this.#links.set(spaceId, links);
    }
    if (links.has(memoryId)) return false;
    links.set(memoryId, at);
    return true;
  }

  async unlinkMemory(spaceId: string, memoryId: string): Promise<boolean> {
    return this.#links.get(spaceId)?.delete(memoryId) ?? false;
  }

  async linkedMemories(spaceId: string): Promise<string[]> {
    // Map iteration order is insertion order, which is link order.
    return [...(this.#links.get(spaceId)?.keys() ?? [])];
  }

  async activeSpaceId(sessionId: string): Promise<string | undefined> {
    return this.#active.get(sessionId);
  }

  async setActiveSpace(sessionId: string, spaceId: string, at: number): Promise<boolean> {
    if (!this.#spaces.has(spaceId)) return false;
    this.#active.set(sessionId, spaceId);
    this.#activatedAt.set(sessionId, at);
    return true;
  }

  async turns(sessionId: string): Promise<ConversationTurn[]> {
    return (this.#turns.get(sessionId) ?? []).map((turn) => ({ ...turn }));
  }

  async appendTurn(sessionId: string, turn: ConversationTurn, keep: number): Promise<void> {
    const next = [...(this.#turns.get(sessionId) ?? []), { ...turn }];
    this.#turns.set(sessionId, next.slice(Math.max(0, next.length - keep)));
  }

  async clearTurns(sessionId: string): Promise<boolean> {
    const had = (this.#turns.get(sessionId)?.length ?? 0) > 0;
    this.#turns.delete(sessionId);
    return had;
  }

  async forgetSession(sessionId: string): Promise<void> {
    this.#active.delete(sessionId);
    this.#activatedAt.delete(sessionId);
    this.#turns.delete(sessionId);
  }

  async sessions(query: { limit: number }): Promise<SessionSummary[]> {
    const ids = new Set([...this.#turns.keys(), ...this.#active.keys()]);
    const summaries = [...ids].map((sessionId): SessionSummary => {
      const turns = this.#turns.get(sessionId) ?? [];
      const spaceId = this.#active.get(sessionId);
      const lastTurn = turns.reduce((last, turn) => Math.max(last, turn.at), 0);
      return {
        sessionId,
        turns: turns.length,
        lastActivityAt: Math.max(lastTurn, this.#activatedAt.get(sessionId) ?? 0),
        ...(spaceId === undefined ? {} : { spaceId }),
      };
    });
    summaries.sort((a, b) => b.lastActivityAt - a.lastActivityAt || (a.sessionId < b.sessionId ? -1 : 1));
    return summaries.slice(0, query.limit);
  }
}
