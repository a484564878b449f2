/** memory_write, memory_read and memory_search over the MemoryPort. */

import { KernelError } from "@oxios/core";
import { z } from "zod";
import { ToolErrorCode } from "./error-codes.ts";
import { requirePort } from "./require-port.ts";
import { defineTool } from "./tool.ts";

const limit = z.number().int().min(1).max(100).default(10);

export function memoryWriteTool() {
  return defineTool({
    name: "memory_write",
    description:
      "Store a memory for later sessions: content, a type (fact, preference, note…), tags and importance 0–1.",
    input: z.object({
      content: z.string().min(1).max(20_000),
      type: z.string().min(1).max(64).default("note"),
      tags: z.array(z.string().min(1).max(64)).max(32).default([]),
      importance: z.number().min(0).max(1).default(0.5),
    }),
    family: "memory.write",
    async execute(input, context) {
      const memory = requirePort(context.ports.memory, "memory", "memory_write");
      const record = await memory.remember({ ...input, agentId: context.agent.agentId }, { signal: context.signal });
      return { output: record };
    },
  });
}

export function memoryReadTool() {
  return defineTool({
    name: "memory_read",
    description: "Read one memory by id, or the most recent memories (optionally of one type).",
    input: z.object({ id: z.string().min(1).optional(), type: z.string().min(1).optional(), limit }),
    family: "memory.read",
    idempotent: true,
    async execute(input, context) {
      const memory = requirePort(context.ports.memory, "memory", "memory_read");
      if (input.id !== undefined) {
        const record = await memory.get(input.id, { signal: context.signal });
        if (record === undefined) {
          throw new KernelError(ToolErrorCode.memoryNotFound, `no memory with id ${input.id}`);
        }
        return { output: [record] };
      }
      const query = input.type === undefined ? { limit: input.limit } : { type: input.type, limit: input.limit };
      const records = await memory.list(query, { signal: context.signal });
      return { output: records };
    },
  });
}

export function memorySearchTool() {
  return defineTool({
    name: "memory_search",
    description: "Search memories by meaning and keywords; best match first.",
    input: z.object({ query: z.string().min(1).max(2000), type: z.string().min(1).optional(), limit }),
    family: "memory.read",
    idempotent: true,
    async execute(input, context) {
      const memory = requirePort(context.ports.memory, "memory", "memory_search");
      const query =
        input.type === undefined
          ? { query: input.query, limit: input.limit }
          : { query: input.query, type: input.type, limit: input.limit };
      return { output: await memory.search(query, { signal: context.signal }) };
    },
  });
}
