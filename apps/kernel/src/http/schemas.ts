/** Request and response schemas of the HTTP API; the OpenAPI document is generated from them. */

import { z } from "@hono/zod-openapi";
import { MEMORY_TYPES, type MemoryType } from "@oxios/memory";
import { KernelErrorCode } from "../error-codes.ts";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: KernelErrorCode.bodyInvalid }),
      message: z.string(),
      field: z.string().optional(),
    }),
  })
  .openapi("Error");

export const HealthSchema = z
  .object({ status: z.literal("ok"), version: z.string(), uptimeMs: z.number() })
  .openapi("Health");

export const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "not-ready"]),
    reason: z.string().optional().openapi({ description: "booting or draining" }),
  })
  .openapi("Readiness");

/** The `agent` field of runs and chat: a profile of `[agents.<name>]`. */
const AgentField = z.string().min(1).max(64).optional().openapi({
  description: "Agent profile to run as (404 AGENT_PROFILE_NOT_FOUND when unknown)",
  example: "release-notes",
});

export const StatusSchema = z
  .object({
    version: z.string(),
    uptimeMs: z.number(),
    pid: z.number(),
    home: z.string(),
    modules: z.record(z.string(), z.string()),
    model: z.object({ spec: z.string(), provider: z.string(), modelId: z.string(), demo: z.boolean() }),
    memory: z.object({ mode: z.string(), embedder: z.string(), memories: z.number() }),
    sandbox: z
      .object({
        kind: z.string().openapi({ description: "bubblewrap, seatbelt, none (exec_sandbox = none) or unavailable" }),
        available: z.boolean().openapi({ description: "false: exec is refused with EXEC_SANDBOX_UNAVAILABLE" }),
        reason: z.string().optional().openapi({ description: "why it is unavailable, or the warning for none" }),
      })
      .openapi({ description: "The OS sandbox exec runs agents' programs in" }),
    interruptedRuns: z.array(z.object({ taskId: z.string(), status: z.string() })),
    interop: z.object({
      mcp: z.array(
        z.object({
          name: z.string(),
          transport: z.enum(["stdio", "streamable-http"]),
          state: z.enum(["disabled", "starting", "ready", "restarting", "stopped"]),
          tools: z.number(),
          restarts: z.number(),
          failures: z.number(),
          lastError: z.string().optional(),
          pid: z.number().optional(),
          nextAttemptAt: z.number().optional(),
        }),
      ),
      a2a: z.array(
        z.object({
          url: z.string(),
          state: z.enum(["ready", "unavailable"]),
          name: z.string().optional(),
          error: z.string().optional(),
        }),
      ),
      browser: z.object({ enabled: z.boolean(), reason: z.string() }),
      tools: z.array(z.string()).openapi({ description: "MCP, A2A and browser tools registered behind the gate" }),
    }),
  })
  .openapi("Status");

export const AgentCardSchema = z
  .looseObject({
    name: z.string(),
    description: z.string(),
    version: z.string(),
    supportedInterfaces: z.array(
      z.object({ url: z.string(), protocolBinding: z.string(), protocolVersion: z.string() }),
    ),
    capabilities: z.looseObject({ streaming: z.boolean().optional() }),
    skills: z.array(z.object({ id: z.string(), name: z.string(), description: z.string(), tags: z.array(z.string()) })),
  })
  .openapi("AgentCard");

export const JsonRpcRequestSchema = z
  .object({
    jsonrpc: z.literal("2.0"),
    id: z.union([z.string(), z.number(), z.null()]).optional(),
    method: z.string().openapi({
      description: "SendMessage, SendStreamingMessage, GetTask, CancelTask (A2A v1.0 JSON-RPC)",
      example: "SendMessage",
    }),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("JsonRpcRequest");

export const JsonRpcResponseSchema = z
  .object({
    jsonrpc: z.literal("2.0"),
    id: z.union([z.string(), z.number(), z.null()]),
    result: z.unknown().optional(),
    error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
  })
  .openapi("JsonRpcResponse");

const Priority = z.enum(["low", "normal", "high", "critical"]);

export const RunRequestSchema = z
  .object({
    goal: z.string().min(1).openapi({
      description: "Any length up to the 10 MiB body limit (memory recall uses its first 4,096 characters)",
    }),
    priority: Priority.optional(),
    spaceId: z.string().min(1).max(256).optional(),
    sessionId: z.string().min(1).max(256).optional(),
    agent: AgentField,
  })
  .openapi("RunRequest");

export const RunStartedSchema = z.object({ taskId: z.string(), agentId: z.string() }).openapi("RunStarted");

export const RunSchema = z
  .object({
    taskId: z.string(),
    agentId: z.string(),
    goal: z.string(),
    priority: Priority,
    status: z.enum(["queued", "running", "completed", "failed", "cancelled"]),
    sessionId: z.string().optional(),
    spaceId: z.string().optional(),
    agent: z.string().optional().openapi({ description: "the agent profile the run used" }),
    model: z
      .string()
      .optional()
      .openapi({ description: "the model that answered (a fallback when the first could not)" }),
    createdAt: z.number(),
    startedAt: z.number().optional(),
    finishedAt: z.number().optional(),
    durationMs: z.number().optional(),
    resumes: z
      .number()
      .optional()
      .openapi({ description: "how often the run continued from its journal after a restart" }),
    text: z.string().optional(),
    finishReason: z.string().optional(),
    steps: z.number().optional(),
    usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }).optional(),
    toolCalls: z.array(z.object({ callId: z.string(), name: z.string(), ok: z.boolean() })).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    traceId: z.string().optional().openapi({
      description:
        "the run's OpenTelemetry trace id (32 hex digits) when the kernel exports traces (otel_endpoint); kept across resumes",
    }),
  })
  .openapi("Run");

const UsageSchema = z.object({ inputTokens: z.number(), outputTokens: z.number() });

export const RunStepSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("prompt"), system: z.string(), input: z.string() }),
    z.object({
      kind: z.literal("model"),
      text: z.string(),
      toolCalls: z.array(z.object({ callId: z.string(), name: z.string(), rawInput: z.string() })),
      usage: UsageSchema,
    }),
    z.object({ kind: z.literal("tool-call"), callId: z.string(), name: z.string() }),
    z.object({
      kind: z.literal("tool-result"),
      callId: z.string(),
      name: z.string(),
      input: z.unknown(),
      outcome: z.union([
        z.object({ ok: z.literal(true), output: z.string(), truncated: z.boolean().optional() }),
        z.object({ ok: z.literal(false), errorCode: z.string(), message: z.string() }),
      ]),
    }),
    z.object({ kind: z.literal("compaction"), summary: z.string(), usage: UsageSchema }),
  ])
  .openapi("RunStep");

export const RunStepsSchema = z.object({ taskId: z.string(), steps: z.array(RunStepSchema) }).openapi("RunSteps");

export const ChatRequestSchema = z
  .object({
    message: z.string().min(1).max(100_000),
    sessionId: z.string().min(1).max(256).optional(),
    spaceId: z.string().min(1).max(256).optional(),
    agent: AgentField,
  })
  .openapi("ChatRequest");

export const OrchestrationResultSchema = z
  .object({
    response: z.string(),
    sessionId: z.string(),
    spaceId: z.string(),
    spaceTag: z.string(),
    seedId: z.string().optional(),
    agentId: z.string().optional(),
    kind: z.enum(["chat", "questions", "task"]),
    phaseReached: z.string(),
    evaluationPassed: z.boolean().optional(),
    score: z.number().optional(),
    generations: z.number().optional(),
    traceId: z.string().optional(),
    exitCode: z.union([z.literal(0), z.literal(1)]),
    durationMs: z.number(),
  })
  .openapi("OrchestrationResult");

export const CancelSchema = z.object({ taskId: z.string(), cancelled: z.boolean() }).openapi("CancelResult");

export const AgentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.string(),
    createdAt: z.number(),
    runs: z.number(),
    lastError: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .openapi("Agent");

export const MemorySchema = z
  .object({
    id: z.string(),
    type: z.string(),
    content: z.string(),
    tier: z.string(),
    tags: z.array(z.string()),
    spaceIds: z.array(z.string()),
    importance: z.number(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi("Memory");

export const MemoryCreateSchema = z
  .object({
    content: z.string().min(1),
    type: z.string().optional(),
    tags: z.array(z.string()).optional(),
    spaceId: z.string().min(1).optional(),
    importance: z.number().min(0).max(1).optional(),
  })
  .openapi("MemoryCreate");

export const EffectiveConfigSchema = z
  .object({
    home: z.string(),
    configPath: z.string(),
    modelSource: z
      .string()
      .openapi({ description: "Why this model: set by a variable or file, or the default and why" }),
    values: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'Every config.toml key with the value in force; secrets as "(set)", never their value' }),
  })
  .openapi("EffectiveConfig");

export const MemorySearchSchema = z
  .object({
    query: z.string().min(1),
    limit: z.number().int().min(1).max(100).optional(),
    mode: z.enum(["hybrid", "vector", "keyword"]).optional(),
    types: z
      .array(z.enum(Object.keys(MEMORY_TYPES) as [MemoryType, ...MemoryType[]]))
      .min(1)
      .max(16)
      .optional()
      .openapi({ description: "Only memories of these types (fact, decision, episode, …)" }),
    includeEpisodes: z
      .boolean()
      .optional()
      .openapi({ description: "Also search run episodes (type episode); without `types` they are left out" }),
  })
  .openapi("MemorySearch");

export const MemorySearchResultSchema = z
  .object({
    results: z.array(
      MemorySchema.extend({
        score: z.number(),
        vectorRank: z.number().optional(),
        keywordRank: z.number().optional(),
      }),
    ),
  })
  .openapi("MemorySearchResult");

export const SpaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    paths: z.array(z.string()),
    tags: z.array(z.string()),
    emoji: z.string(),
    source: z.string(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi("Space");

export const SpaceCreateSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    paths: z.array(z.string()).optional(),
    tags: z.array(z.string()).optional(),
    emoji: z.string().optional(),
  })
  .openapi("SpaceCreate");

export const AuditEntrySchema = z
  .object({
    seq: z.number(),
    at: z.number(),
    actor: z.string(),
    action: z.string(),
    resource: z.string(),
    details: z.unknown(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi("AuditEntry");

export const AuditVerifySchema = z
  .object({ ok: z.boolean(), entries: z.number(), firstBadSeq: z.number().optional(), reason: z.string().optional() })
  .openapi("AuditVerification");

export const GitCommitSchema = z
  .object({ oid: z.string(), message: z.string(), author: z.string(), timestamp: z.number() })
  .openapi("GitCommit");

export const ProfileSchema = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    model: z.string(),
    fallbackModels: z.array(z.string()),
    role: z.string(),
    template: z.string(),
    execAllow: z.array(z.string()).nullable().openapi({ description: "null: the default read-only allowlist" }),
    paths: z.array(z.string()),
    network: z.boolean(),
    tools: z.object({ allow: z.array(z.string()).optional(), deny: z.array(z.string()).optional() }),
    approvalRequired: z.array(z.string()),
    tokenBudget: z
      .object({ tokens: z.number().optional(), calls: z.number().optional(), window: z.enum(["hour", "day"]) })
      .optional(),
    maxConcurrent: z.number().optional(),
    workspace: z.enum(["persistent", "per-run"]),
    skills: z.array(z.string()),
  })
  .openapi("AgentProfile");

const ApprovalStatus = z.enum(["pending", "approved", "rejected", "expired", "cancelled"]);

export const ApprovalSchema = z
  .object({
    approvalId: z.string(),
    agentId: z.string(),
    runId: z.string().optional().openapi({ description: "the direct run's task id" }),
    callId: z.string().optional(),
    profile: z.string().optional(),
    tool: z.string(),
    input: z.unknown().optional().openapi({ description: "the call's input, secrets redacted" }),
    reason: z.string(),
    requestedAt: z.number(),
    ageMs: z.number(),
    deadlineAt: z.number(),
    defaultDecision: z.enum(["approve", "reject"]),
    status: ApprovalStatus,
    decidedBy: z.string().optional(),
    decidedAt: z.number().optional(),
    decisionReason: z.string().optional(),
  })
  .openapi("Approval");

export const ApprovalDecisionSchema = z
  .object({
    reason: z.string().min(1).max(2_000).optional(),
    by: z
      .string()
      .regex(/^[A-Za-z0-9._@-]{1,64}$/)
      .optional()
      .openapi({ description: "who decides, recorded as operator:<by> (default: operator)", example: "alice" }),
  })
  .openapi("ApprovalDecision");

export const ApprovalStatusQuery = z.object({
  status: z
    .enum(["pending", "approved", "rejected", "expired", "cancelled", "all"])
    .optional()
    .openapi({ description: "default pending" }),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const ScheduleFields = {
  cron: z
    .string()
    .max(256)
    .optional()
    .openapi({ description: "five cron fields (or six with seconds)", example: "0 9 * * 1-5" }),
  every: z.string().max(64).optional().openapi({ description: 'an interval instead of cron: "15m", "1h30m", "1d"' }),
  timezone: z
    .string()
    .max(64)
    .optional()
    .openapi({ description: "IANA time zone of the cron expression (default UTC)", example: "Europe/Berlin" }),
  goal: z.string().max(100_000),
  agent: z.string().max(64).optional().openapi({ description: "agent profile to run the goal as" }),
  missed: z.enum(["skip", "run-once"]).optional().openapi({ description: "firings missed while down (default skip)" }),
  overlap: z
    .enum(["skip", "queue"])
    .optional()
    .openapi({ description: "a firing while the previous run goes on (default skip)" }),
  enabled: z.boolean().optional(),
};

export const ScheduleCreateSchema = z.object({ name: z.string().max(64), ...ScheduleFields }).openapi("ScheduleCreate");
export const ScheduleReplaceSchema = z.object(ScheduleFields).openapi("ScheduleReplace");

export const ScheduleSchema = z
  .object({
    name: z.string(),
    cron: z.string().optional(),
    every: z.string().optional(),
    timezone: z.string(),
    goal: z.string(),
    agent: z.string().optional(),
    missed: z.enum(["skip", "run-once"]),
    overlap: z.enum(["skip", "queue"]),
    enabled: z.boolean(),
    source: z.enum(["config", "api", "agent"]),
    createdAt: z.number(),
    updatedAt: z.number(),
    nextFireAt: z.number().optional(),
    lastFiredAt: z.number().optional(),
    lastTaskId: z.string().optional(),
    fired: z.number(),
    skipped: z.number(),
    running: z.number(),
    queued: z.boolean(),
  })
  .openapi("Schedule");

export const ScheduleRunSchema = z
  .object({ started: z.boolean(), taskId: z.string().optional(), queued: z.boolean().optional() })
  .openapi("ScheduleRun");

export const SessionSummarySchema = z
  .object({ id: z.string(), spaceId: z.string().optional(), turns: z.number(), lastActivityAt: z.number() })
  .openapi("SessionSummary");

export const SessionSchema = z
  .object({
    id: z.string(),
    spaceId: z.string(),
    turns: z.array(
      z.object({ role: z.enum(["user", "assistant", "system", "tool"]), content: z.string(), at: z.number() }),
    ),
    lastActivityAt: z.number(),
    interviewing: z.boolean(),
  })
  .openapi("Session");

/** The `{id}` path parameter of agents, memories and spaces. */
export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: "id", in: "path" } }),
});
