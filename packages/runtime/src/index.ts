/**
 * @module @oxios/runtime — LLM providers through the Vercel AI SDK (`provider/model`, with a
 * deterministic `demo` model), a per-provider circuit breaker and retries on the injected
 * Clock, per-agent token budgets, and the agent tool loop (streaming, parallel tool calls,
 * cancellation that reaches the HTTP request and every tool, awaited compaction), the
 * Ouroboros orchestrator, direct runs (`runGoal`), adapters to the kernel's packages, and
 * `createRuntime` to wire it all.
 */

export {
  GatedToolExecutor,
  type GatedToolExecutorOptions,
  type ToolActivity,
} from "./adapters/gated-tool-executor.ts";
export { MemoryStorePort, MemoryStoreToolPort } from "./adapters/memory-adapters.ts";
export { SpaceManagerToolPort } from "./adapters/space-tool-port.ts";
export {
  AGENT_DEFAULTS,
  AgentLoop,
  type AgentLoopOptions,
  type AgentRunRequest,
  type AgentRunResult,
  TOOL_OUTCOME_UNKNOWN,
  type ToolCallRecord,
} from "./agent-loop.ts";
export {
  type AgentProfile,
  modelSpec,
  type ProfileLookup,
  type Skill,
  type SkillSummary,
} from "./agent-profile.ts";
export {
  type AgentIdentityTemplate,
  type AgentJob,
  AgentRunner,
  type AgentRunnerOptions,
  type AgentSettings,
  type RunIds,
  type SpawnOptions,
} from "./agent-runner.ts";
export { type AgentStream, streamAgent } from "./agent-stream.ts";
export { CircuitBreakers } from "./circuit-breaker.ts";
export { createRuntime, type Runtime, type RuntimeOptions } from "./create-runtime.ts";
export {
  DirectRuns,
  type DirectRunsOptions,
  type IdempotencyKeys,
  type RunGoalRequest,
  type RunHandle,
} from "./direct-runs.ts";
export { RuntimeErrorCode } from "./error-codes.ts";
export {
  type CriterionVerdict,
  type EvaluateOptions,
  type Evaluation,
  evaluate,
  PASS_SCORE,
  type RunOutcome,
} from "./evaluate.ts";
export {
  ambiguity,
  type InterviewAnswer,
  type InterviewDecision,
  type InterviewOptions,
  type InterviewTurn,
  interview,
  interviewSchema,
  READY_AMBIGUITY,
  SIMPLE_SEED_AMBIGUITY,
} from "./interview.ts";
export { type InterviewSession, InterviewSessions } from "./interview-sessions.ts";
export {
  evolveSeed,
  GROUP_THRESHOLD,
  MAX_EVOLUTIONS,
  type OrchestrationEvent,
  type OrchestrationRequest,
  type OrchestrationResult,
  type OrchestrationStream,
  Orchestrator,
  type OrchestratorOptions,
  type Phase,
} from "./orchestrator.ts";
export type {
  AgentMemoryPort,
  MemoryWrite,
  ModelToolDefinition,
  RecalledMemory,
  ToolCallContext,
  ToolCallRequest,
  ToolExecutor,
  ToolOutcome,
} from "./ports.ts";
export { DEMO_LABEL, DemoLanguageModel, demoIntent } from "./providers/demo-model.ts";
export { createHttpFetch, type HttpFetchOptions } from "./providers/http-fetch.ts";
export { LazyLanguageModel } from "./providers/lazy-model.ts";
export {
  DEFAULT_OLLAMA_BASE_URL,
  type ModelConfig,
  type ProviderName,
  parseModelSpec,
  type ResolvedModel,
  resolveModel,
} from "./providers/resolve-model.ts";
export type {
  JournalledRun,
  RequestedToolCall,
  RunJournal,
  RunRequestDetails,
  RunStep,
  StepJournal,
} from "./run-journal.ts";
export { isFinished, type RunRecord, type RunStatus } from "./run-record.ts";
export { loadSkills, MAX_SKILL_FILE_BYTES, readSkill, SkillToolPort } from "./skills.ts";
export { type StructuredCallOptions, structuredCall } from "./structured-call.ts";
export { buildSystemPrompt, type Seed, type SystemPromptInput } from "./system-prompt.ts";
export {
  TokenBudgets,
  type TokenBudgetsOptions,
  type TokenUsage,
  type WindowBudget,
  type WindowUsage,
} from "./token-budgets.ts";
export {
  GenAiAttribute,
  GenAiSpan,
  type SpanAttributes,
  type SpanAttributeValue,
  type SpanParent,
  type StartSpanOptions,
  type Tracer,
  type TraceSpan,
} from "./tracing.ts";
