/**
 * A AgentMemoryPort kept in an array: recall is a case-insensitive word match. For tests.
 *
 * With `{ asynchronous: true }` a `store` records its memory only a macrotask after the call,
 * as a real store does after its I/O, so a caller that does not await `store` is caught: the
 * memory is not there yet when the caller moves on.
 */

import type { AgentMemoryPort, MemoryWrite, RecalledMemory } from "../ports.ts";

export interface InMemoryAgentMemoryPortOptions {
  /** Record each stored memory a macrotask after `store` is called. Default false. */
  asynchronous?: boolean;
}

export class InMemoryAgentMemoryPort implements AgentMemoryPort {
  readonly stored: Array<MemoryWrite & { id: string }> = [];
  readonly #asynchronous: boolean;
  #next = 0;

  constructor(options: InMemoryAgentMemoryPortOptions = {}) {
    this.#asynchronous = options.asynchronous ?? false;
  }

  async recall(query: string, options: { limit: number }): Promise<RecalledMemory[]> {
    const words = query
      .toLowerCase()
      .split(/\W+/)
      .filter((word) => word.length > 2);
    return this.stored
      .filter((memory) => words.some((word) => memory.content.toLowerCase().includes(word)))
      .slice(0, options.limit)
      .map(({ id, content }) => ({ id, content }));
  }

  async store(memory: MemoryWrite): Promise<{ id: string }> {
    const id = `mem-${++this.#next}`;
    if (this.#asynchronous) await new Promise<void>((resolve) => setTimeout(resolve, 0));
    this.stored.push({ ...memory, id });
    return { id };
  }
}
