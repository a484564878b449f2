/**
 * Adapters: the ports lower packages declare (tools' memory/space/kernel/audit ports, the
 * runtime's ToolExecutor and MemoryPort) implemented over the concrete kernel modules.
 */

import { KernelError } from "@oxios/core";
import type { AuditTrail } from "@oxios/event-bus";
import type { MemoryEntry, MemoryStore, MemoryType } from "@oxios/memory";
import { MEMORY_TYPES } from "@oxios/memory";
import type {
  MemoryPort as RuntimeMemoryPort,
  ToolCallContext,
  ToolCallRequest,
  ToolDefinition,
  ToolExecutor,
  ToolOutcome,
} from "@oxios/runtime";
import type { Scheduler } from "@oxios/scheduler";
import type { SpaceManager } from "@oxios/space";
import type { Supervisor } from "@oxios/supervisor";
import {
  type AuditSink,
  type KernelPort,
  type MemoryPort,
  type MemoryRecord,
  type SpacePort,
  type ToolRegistry,
  toolJsonSchema,
} from "@oxios/tools";

function memoryType(type: string | undefined, fallback: MemoryType): MemoryType {
  if (type === undefined) return fallback;
  if (type in MEMORY_TYPES) return type as MemoryType;
  throw new KernelError("MEMORY_TYPE_INVALID", `unknown memory type "${type}"`, { details: { type } });
}

function record(entry: MemoryEntry, score?: number): MemoryRecord {
  return {
    id: entry.id,
    content: entry.content,
    type: entry.type,
    tags: entry.tags,
    importance: entry.importance,
    createdAt: entry.createdAt,
    ...(score === undefined ? {} : { score }),
  };
}

/** The tools' MemoryPort over the MemoryStore. */
export function memoryToolPort(memory: MemoryStore): MemoryPort {
  return {
    async remember(entry, options) {
      const stored = await memory.remember(
        {
          content: entry.content,
          type: memoryType(entry.type, "fact"),
          tags: entry.tags,
          importance: entry.importance,
          source: `agent:${entry.agentId}`,
        },
        options?.signal ? { signal: options.signal } : {},
      );
      return record(stored);
    },
    async get(id) {
      const entry = await memory.get(id);
      return entry === undefined ? undefined : record(entry);
    },
    async list(query) {
      const entries = await memory.list({
        limit: query.limit,
        ...(query.type ? { types: [memoryType(query.type, "fact")] } : {}),
      });
      return entries.map((entry) => record(entry));
    },
    async search(query) {
      const hits = await memory.search(query.query, {
        limit: query.limit,
        ...(query.type ? { types: [memoryType(query.type, "fact")] } : {}),
      });
      return hits.map((hit) => record(hit.entry, hit.score));
    },
  };
}

/** The tools' SpacePort over the SpaceManager. */
export function spaceToolPort(spaces: SpaceManager): SpacePort {
  return {
    async list() {
      return (await spaces.list()).map((space) => ({ id: space.id, name: space.name, description: space.description }));
    },
    async get(spaceId) {
      try {
        const space = await spaces.get(spaceId);
        return { id: space.id, name: space.name, description: space.description };
      } catch (error) {
        if (KernelError.isInstance(error) && error.code === "SPACE_NOT_FOUND") return undefined;
        throw error;
      }
    },
    async activate(spaceId, sessionId) {
      const space = await spaces.activate(spaceId, sessionId);
      return { id: space.id, name: space.name, description: space.description };
    },
  };
}

/** The tools' KernelPort over the supervisor and scheduler. */
export function kernelToolPort(supervisor: Supervisor, scheduler: Scheduler): KernelPort {
  return {
    async listAgents() {
      return supervisor
        .list()
        .map((agent) => ({ agentId: agent.id, name: agent.name, state: agent.status, startedAt: agent.createdAt }));
    },
    async killAgent(agentId, reason) {
      const before = supervisor.get(agentId);
      if (before === undefined) return { killed: false };
      await supervisor.kill(agentId, reason);
      return { killed: true };
    },
    async schedulerStats() {
      return { ...scheduler.stats() };
    },
  };
}

/** The tools' AuditSink over the audit trail. */
export function auditSink(trail: AuditTrail): AuditSink {
  return {
    append: (entry) =>
      trail.append({
        actor: entry.actor,
        action: entry.action,
        resource: entry.resource,
        details: JSON.parse(JSON.stringify(entry.details)),
      }),
    verify: () => trail.verify(),
    query: async (query) =>
      trail.query({
        limit: query.limit,
        ...(query.actor ? { actor: query.actor } : {}),
        ...(query.action ? { action: query.action } : {}),
      }),
  };
}

/**
 * The runtime's ToolExecutor over the gate: one gated session per run (the run's signal
 * reaches every call), opened lazily on the first definitions() or execute() of the agent.
 */
export class GatedToolExecutor implements ToolExecutor {
  readonly #registry: ToolRegistry;
  readonly #workspaceRoot: string;
  readonly #signal: AbortSignal;
  #session: ReturnType<ToolRegistry["session"]> | undefined;

  constructor(registry: ToolRegistry, workspaceRoot: string, signal: AbortSignal) {
    this.#registry = registry;
    this.#workspaceRoot = workspaceRoot;
    this.#signal = signal;
  }

  #open(agentId: string): ReturnType<ToolRegistry["session"]> {
    this.#session ??= this.#registry.session(
      { agentId, workspaceDir: `${this.#workspaceRoot}/${agentId}` },
      { signal: this.#signal },
    );
    return this.#session;
  }

  async definitions(agentId: string): Promise<ToolDefinition[]> {
    const session = await this.#open(agentId);
    return session.available().map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: toolJsonSchema(tool) as Record<string, unknown>,
    }));
  }

  async execute(call: ToolCallRequest, context: ToolCallContext): Promise<ToolOutcome> {
    const session = await this.#open(context.agentId);
    const result = await session.execute(call.name, call.input, { signal: context.signal, callId: call.callId });
    if (result.ok) {
      const output = typeof result.output === "string" ? result.output : JSON.stringify(result.output);
      return { ok: true, output, truncated: result.truncated };
    }
    return { ok: false, errorCode: result.error.code, message: result.error.message };
  }
}

/** The runtime's MemoryPort over the MemoryStore. */
export function runtimeMemoryPort(memory: MemoryStore): RuntimeMemoryPort {
  return {
    async recall(query, options) {
      const entries = await memory.recall({
        query,
        limit: options.limit,
        ...(options.sessionId ? { sessionId: options.sessionId } : {}),
        ...(options.spaceId ? { spaceId: options.spaceId } : {}),
      });
      return entries.map((entry) => ({ id: entry.id, content: entry.content }));
    },
    async store(write) {
      const entry = await memory.remember({
        content: write.content,
        type: memoryType(write.type, "session"),
        tags: write.tags,
        source: `agent:${write.agentId}`,
        ...(write.sessionId ? { sessionId: write.sessionId } : {}),
        ...(write.spaceId ? { spaceId: write.spaceId } : {}),
      });
      return { id: entry.id };
    },
  };
}
