/** A MemoryPort kept in an array: recall is a case-insensitive word match. For tests. */

import type { MemoryPort, MemoryWrite, RecalledMemory } from "../ports.ts";

export class InMemoryMemoryPort implements MemoryPort {
  readonly stored: Array<MemoryWrite & { id: string }> = [];
  #next = 0;

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
    this.stored.push({ ...memory, id });
    return { id };
  }
}
