/**
 * Ports: the narrow interfaces through which tools reach memory, spaces, the kernel (agents,
 * scheduler) and the audit trail. @oxios/tools may depend only on core and event-bus, so the
 * composition root passes implementations of these in; `@oxios/tools/testing` has in-memory
 * fakes. Every method takes an optional `signal`: an implementation should stop work when it
 * aborts, and the gate settles the call as `ABORTED` even when one does not.
 */

import type { AgentIdentity } from "./permissions.ts";

export interface PortCallOptions {
  signal?: AbortSignal;
}

export interface MemoryRecord {
  id: string;
  content: string;
  type: string;
  tags: string[];
  importance: number;
  createdAt: number;
  /** Search relevance, present on search results. */
  score?: number;
}

export interface MemoryInput {
  content: string;
  type: string;
  tags: string[];
  importance: number;
  /** The agent that wrote the memory. */
  agentId: string;
}

export interface MemoryPort {
  remember(entry: MemoryInput, options?: PortCallOptions): Promise<MemoryRecord>;
  get(id: string, options?: PortCallOptions): Promise<MemoryRecord | undefined>;
  /** Most recent first. */
  list(query: { type?: string; limit: number }, options?: PortCallOptions): Promise<MemoryRecord[]>;
  /** Best match first. */
  search(query: { query: string; type?: string; limit: number }, options?: PortCallOptions): Promise<MemoryRecord[]>;
}

export interface SpaceInfo {
  id: string;
  name: string;
  description?: string;
}

export interface SpacePort {
  list(options?: PortCallOptions): Promise<SpaceInfo[]>;
  get(spaceId: string, options?: PortCallOptions): Promise<SpaceInfo | undefined>;
  /** Makes `spaceId` the active space of `sessionId`. */
  activate(spaceId: string, sessionId: string, options?: PortCallOptions): Promise<SpaceInfo>;
}

export interface AgentInfo {
  agentId: string;
  name: string;
  state: string;
  startedAt?: number;
}

export interface KernelPort {
  listAgents(options?: PortCallOptions): Promise<AgentInfo[]>;
  /** Kills (cancels) an agent's run; `killed` is false when it was not running. */
  killAgent(agentId: string, reason: string, options?: PortCallOptions): Promise<{ killed: boolean }>;
  schedulerStats(options?: PortCallOptions): Promise<Record<string, unknown>>;
}

export interface AuditEntryInput {
  /** Who acted: an agent id, or `gate` for the gate's own records. */
  actor: string;
  action: string;
  resource: string;
  details: Record<string, unknown>;
}

export interface AuditSinkQuery {
  actor?: string;
  action?: string;
  resource?: string;
  limit: number;
}

/**
 * Where the gate records every decision. `append` must resolve only once the entry is
 * recorded: the gate waits for it before a tool runs and refuses the call when it fails.
 */
export interface AuditSink {
  append(entry: AuditEntryInput): Promise<unknown>;
  verify?(options?: PortCallOptions): Promise<unknown>;
  query?(query: AuditSinkQuery, options?: PortCallOptions): Promise<unknown[]>;
}

export interface SkillInfo {
  name: string;
  description: string;
}

export interface SkillContent extends SkillInfo {
  /** The `SKILL.md` body (after its front matter), or the text of the file asked for. */
  text: string;
  /** The other files of the skill's folder, relative to it. */
  files: string[];
}

/** Skills (folders with a `SKILL.md`) offered to an agent: the kernel's and its profile's. */
export interface SkillPort {
  list(agentId: string, options?: PortCallOptions): Promise<SkillInfo[]>;
  /** The skill's instructions, or one `file` of its folder; undefined when the agent has no such skill or file. */
  read(
    agentId: string,
    name: string,
    file: string | undefined,
    options?: PortCallOptions,
  ): Promise<SkillContent | undefined>;
}

/** A scheduled goal as the schedule tools see it. */
export interface ScheduleInfo {
  name: string;
  cron?: string;
  every?: string;
  timezone: string;
  goal: string;
  agent?: string;
  missed: string;
  overlap: string;
  enabled: boolean;
  source: string;
  nextFireAt?: number;
  lastFiredAt?: number;
  lastTaskId?: string;
}

export interface ScheduleInput {
  name: string;
  cron?: string | undefined;
  every?: string | undefined;
  timezone?: string | undefined;
  goal: string;
  agent?: string | undefined;
  missed?: "skip" | "run-once" | undefined;
  overlap?: "skip" | "queue" | undefined;
  enabled?: boolean | undefined;
}

/**
 * Scheduled goals for the operator-tier `schedule_*` tools. The calling agent is passed so
 * the implementation can refuse what it may not schedule (another profile's goals).
 */
export interface SchedulePort {
  list(options?: PortCallOptions): Promise<ScheduleInfo[]>;
  /** Creates or replaces a schedule; invalid input is `SCHEDULER_SCHEDULE_INVALID` naming the field. */
  put(input: ScheduleInput, caller: AgentIdentity, options?: PortCallOptions): Promise<ScheduleInfo>;
  remove(name: string, caller: AgentIdentity, options?: PortCallOptions): Promise<void>;
  run(
    name: string,
    caller: AgentIdentity,
    options?: PortCallOptions,
  ): Promise<{ started: boolean; taskId?: string; queued?: boolean }>;
}

/** The ports handed to tools in their context; absent ones make their tools fail `TOOL_UNAVAILABLE`. */
export interface ToolPorts {
  memory?: MemoryPort;
  space?: SpacePort;
  kernel?: KernelPort;
  skills?: SkillPort;
  schedules?: SchedulePort;
}
