/** The shapes of the kernel API the console reads (docs/http-api.md, "Schemas"). */

export type RunStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

export interface Run {
  taskId: string;
  agentId: string;
  goal: string;
  priority: string;
  status: RunStatus;
  agent?: string;
  spaceId?: string;
  sessionId?: string;
  model?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  text?: string;
  steps?: number;
  usage?: { inputTokens: number; outputTokens: number };
  toolCalls?: Array<{ callId: string; name: string; ok: boolean }>;
  error?: { code: string; message: string };
}

export type RunStep =
  | { kind: "prompt"; system: string; input: string }
  | {
      kind: "model";
      text: string;
      toolCalls: Array<{ callId: string; name: string; rawInput: string }>;
      usage: { inputTokens: number; outputTokens: number };
    }
  | { kind: "tool-call"; callId: string; name: string }
  | {
      kind: "tool-result";
      callId: string;
      name: string;
      input: unknown;
      outcome: { ok: true; output: string; truncated?: boolean } | { ok: false; errorCode: string; message: string };
    }
  | { kind: "compaction"; summary: string; usage: { inputTokens: number; outputTokens: number } };

export interface Profile {
  name: string;
  description?: string;
  model: string;
  role: string;
  workspace: string;
  network: boolean;
  approvalRequired: string[];
  execAllow?: string[] | null;
  skills: string[];
  maxConcurrent?: number;
}

export interface Space {
  id: string;
  name: string;
  emoji: string;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  resource: string;
  details: unknown;
  hash: string;
}

export interface Approval {
  approvalId: string;
  agentId: string;
  runId?: string;
  profile?: string;
  tool: string;
  input?: unknown;
  reason: string;
  requestedAt: number;
  ageMs: number;
  status: string;
  decidedBy?: string;
  decisionReason?: string;
}

export interface Memory {
  id: string;
  type: string;
  content: string;
  tier: string;
  tags: string[];
  importance: number;
  createdAt: number;
}

export interface MemoryHit extends Memory {
  score: number;
  vectorRank?: number;
  keywordRank?: number;
}

export interface Agent {
  id: string;
  name: string;
  status: string;
  createdAt: number;
  runs: number;
  lastError?: { code: string; message: string };
}

export interface Schedule {
  name: string;
  cron?: string;
  every?: string;
  timezone: string;
  goal: string;
  agent?: string;
  enabled: boolean;
  nextFireAt?: number;
  lastFiredAt?: number;
  fired: number;
  skipped: number;
  running: number;
}
