/**
 * `@oxios/memory` behind the two memory ports that meet it: the loop's `AgentMemoryPort`
 * (recall for the system prompt, durable store for compaction summaries and episodes) and
 * the tools' `MemoryPort` (memory_write / memory_read / memory_search). Types the memory
 * store does not know (the tools default to "note") are stored as `fact`, with the declared
 * type kept in the metadata and shown back to the model.
 */

import type { MemoryEntry, MemoryStore, MemoryType } from "@oxios/memory";
import { MEMORY_TYPES } from "@oxios/memory";
import type { MemoryInput, MemoryPort, MemoryRecord, PortCallOptions } from "@oxios/tools";
import type { AgentMemoryPort, MemoryWrite, RecalledMemory } from "../ports.ts";

/** Every memory type but `episode`, for a search that did not ask for a type. */
const WITHOUT_EPISODES = (Object.keys(MEMORY_TYPES) as MemoryType[]).filter((type) => type !== "episode");

/** The store's type for a declared one; unknown types become `fact`. */
export function memoryTypeOf(declared: string): MemoryType {
  return Object.hasOwn(MEMORY_TYPES, declared) ? (declared as MemoryType) : "fact";
}

/** The loop's memory port over a MemoryStore. */
export class MemoryStorePort implements AgentMemoryPort {
  readonly #store: MemoryStore;

  constructor(store: MemoryStore) {
    this.#store = store;
  }

  async recall(
    query: string,
    options: { agentId: string; sessionId?: string; spaceId?: string; limit: number; signal?: AbortSignal },
  ): Promise<RecalledMemory[]> {
    const entries = await this.#store.recall({
      query,
      limit: Math.min(10, Math.max(1, options.limit)),
      ...(options.sessionId ? { sessionId: options.sessionId } : {}),
      ...(options.spaceId ? { spaceId: options.spaceId } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return entries.map((entry) => ({ id: entry.id, content: entry.content }));
  }

  async store(memory: MemoryWrite): Promise<{ id: string }> {
    const entry = await this.#store.remember({
      content: memory.content,
      type: memoryTypeOf(memory.type),
      tags: memory.tags,
      source: memory.agentId,
      ...(memory.sessionId ? { sessionId: memory.sessionId } : {}),
      ...(memory.spaceId ? { spaceId: memory.spaceId } : {}),
      ...(memoryTypeOf(memory.type) === memory.type ? {} : { metadata: { declaredType: memory.type } }),
    });
    return { id: entry.id };
  }
}

/** The tools' memory port over a MemoryStore (give it to the ToolRegistry's `ports.memory`). */
export class MemoryStoreToolPort implements MemoryPort {
  readonly #store: MemoryStore;

  constructor(store: MemoryStore) {
    this.#store = store;
  }

  async remember(entry: MemoryInput, options: PortCallOptions = {}): Promise<MemoryRecord> {
    const type = memoryTypeOf(entry.type);
    const stored = await this.#store.remember(
      {
        content: entry.content,
        type,
        tags: entry.tags,
        importance: entry.importance,
        source: entry.agentId,
        ...(type === entry.type ? {} : { metadata: { declaredType: entry.type } }),
      },
      options.signal ? { signal: options.signal } : {},
    );
    return toRecord(stored);
  }

  async get(id: string): Promise<MemoryRecord | undefined> {
    const entry = await this.#store.get(id);
    return entry === undefined ? undefined : toRecord(entry);
  }

  async list(query: { type?: string; limit: number }): Promise<MemoryRecord[]> {
    const entries = await this.#store.list({
      limit: query.limit,
      ...(query.type === undefined ? {} : { types: [memoryTypeOf(query.type)] }),
    });
    return entries.map(toRecord);
  }

  async search(
    query: { query: string; type?: string; limit: number },
    options: PortCallOptions = {},
  ): Promise<MemoryRecord[]> {
    const hits = await this.#store.search(query.query, {
      limit: query.limit,
      // Without a type, run episodes are left out: they retell tasks, not what was remembered.
      types: query.type === undefined ? WITHOUT_EPISODES : [memoryTypeOf(query.type)],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return hits.map((hit) => ({ ...toRecord(hit.entry), score: hit.score }));
  }
}

function toRecord(entry: MemoryEntry): MemoryRecord {
  const declared = entry.metadata.declaredType;
  return {
    id: entry.id,
    content: entry.content,
    type: typeof declared === "string" ? declared : entry.type,
    tags: entry.tags,
    importance: entry.importance,
    createdAt: entry.createdAt,
  };
}
