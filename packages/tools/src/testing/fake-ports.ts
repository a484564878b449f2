/**
 * In-memory fakes of the ports, for tests of tools and of code that composes them. Each has a
 * `control` Hold to freeze calls mid-flight.
 */

import { type Clock, KernelError, newId, systemClock } from "@oxios/core";
import { EventBusErrorCode } from "@oxios/event-bus";
import { ToolErrorCode } from "../error-codes.ts";
import type {
  AgentInfo,
  AuditEntryInput,
  AuditSink,
  AuditSinkQuery,
  KernelPort,
  MemoryInput,
  MemoryPort,
  MemoryRecord,
  PortCallOptions,
  SpaceInfo,
  SpacePort,
} from "../ports.ts";
import { Hold } from "./hold.ts";

export class InMemoryMemoryPort implements MemoryPort {
  readonly records: MemoryRecord[] = [];
  readonly control = new Hold();
  readonly #clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async remember(entry: MemoryInput, options?: PortCallOptions): Promise<MemoryRecord> {
    await this.control.pass(options?.signal);
    const record: MemoryRecord = {
      id: newId(this.#clock.now()),
      content: entry.content,
      type: entry.type,
      tags: [...entry.tags],
      importance: entry.importance,
      createdAt: this.#clock.now(),
    };
    this.records.push(record);
    return record;
  }

  async get(id: string, options?: PortCallOptions): Promise<MemoryRecord | undefined> {
    await this.control.pass(options?.signal);
    return this.records.find((record) => record.id === id);
  }

  async list(query: { type?: string; limit: number }, options?: PortCallOptions): Promise<MemoryRecord[]> {
    await this.control.pass(options?.signal);
    return this.records
      .filter((record) => query.type === undefined || record.type === query.type)
      .reverse()
      .slice(0, query.limit);
  }

  /** Scores by the share of query words found in the content (a stand-in for hybrid recall). */
  async search(
    query: { query: string; type?: string; limit: number },
    options?: PortCallOptions,
  ): Promise<MemoryRecord[]> {
    await this.control.pass(options?.signal);
    const words = query.query.toLowerCase().split(/\s+/).filter(Boolean);
    return this.records
      .filter((record) => query.type === undefined || record.type === query.type)
      .map((record) => {
        const content = record.content.toLowerCase();
        const hits = words.filter((word) => content.includes(word)).length;
        return { ...record, score: words.length === 0 ? 0 : hits / words.length };
      })
      .filter((record) => record.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, query.limit);
  }
}

export class InMemorySpacePort implements SpacePort {
  readonly spaces: SpaceInfo[];
  /** Active space per session. */
  readonly active = new Map<string, string>();
  readonly control = new Hold();

  constructor(spaces: SpaceInfo[] = []) {
    this.spaces = [...spaces];
  }

  async list(options?: PortCallOptions): Promise<SpaceInfo[]> {
    await this.control.pass(options?.signal);
    return [...this.spaces];
  }

  async get(spaceId: string, options?: PortCallOptions): Promise<SpaceInfo | undefined> {
    await this.control.pass(options?.signal);
    return this.spaces.find((space) => space.id === spaceId);
  }

  async activate(spaceId: string, sessionId: string, options?: PortCallOptions): Promise<SpaceInfo> {
    await this.control.pass(options?.signal);
    const space = this.spaces.find((candidate) => candidate.id === spaceId);
    if (space === undefined) throw new KernelError(ToolErrorCode.spaceNotFound, `no space with id ${spaceId}`);
    this.active.set(sessionId, spaceId);
    return space;
  }
}

export class FakeKernelPort implements KernelPort {
  readonly agents: AgentInfo[];
  readonly killed: Array<{ agentId: string; reason: string }> = [];
  stats: Record<string, unknown> = { queued: 0, running: 0, admitted: 0 };
  readonly control = new Hold();

  constructor(agents: AgentInfo[] = []) {
    this.agents = [...agents];
  }

  async listAgents(options?: PortCallOptions): Promise<AgentInfo[]> {
    await this.control.pass(options?.signal);
    return this.agents.map((agent) => ({ ...agent }));
  }

  async killAgent(agentId: string, reason: string, options?: PortCallOptions): Promise<{ killed: boolean }> {
    await this.control.pass(options?.signal);
    const agent = this.agents.find((candidate) => candidate.agentId === agentId);
    if (agent === undefined || agent.state !== "running") return { killed: false };
    agent.state = "killed";
    this.killed.push({ agentId, reason });
    return { killed: true };
  }

  async schedulerStats(options?: PortCallOptions): Promise<Record<string, unknown>> {
    await this.control.pass(options?.signal);
    return { ...this.stats };
  }
}

export interface RecordedAuditEntry extends AuditEntryInput {
  seq: number;
}

/** An AuditSink that keeps entries in an array; `failAppends` makes appends reject. */
export class InMemoryAuditSink implements AuditSink {
  readonly entries: RecordedAuditEntry[] = [];
  readonly control = new Hold();
  failAppends = false;

  async append(entry: AuditEntryInput): Promise<{ seq: number }> {
    if (this.failAppends) throw new KernelError(EventBusErrorCode.auditStoreFailed, "audit sink is failing (test)");
    const recorded = { ...entry, seq: this.entries.length + 1 };
    this.entries.push(recorded);
    return { seq: recorded.seq };
  }

  async verify(options?: PortCallOptions): Promise<{ ok: boolean; entries: number }> {
    await this.control.pass(options?.signal);
    return { ok: true, entries: this.entries.length };
  }

  async query(query: AuditSinkQuery, options?: PortCallOptions): Promise<RecordedAuditEntry[]> {
    await this.control.pass(options?.signal);
    return this.entries
      .filter(
        (entry) =>
          (query.actor === undefined || entry.actor === query.actor) &&
          (query.action === undefined || entry.action === query.action) &&
          (query.resource === undefined || entry.resource === query.resource),
      )
      .reverse()
      .slice(0, query.limit);
  }

  /** Entries for one tool call. */
  forCall(callId: string): RecordedAuditEntry[] {
    return this.entries.filter((entry) => entry.details.callId === callId);
  }
}
