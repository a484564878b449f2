/**
 * @module @oxios/runtime — LLM providers through the Vercel AI SDK (`provider/model`, with a
 * deterministic `demo` model), a per-provider circuit breaker and retries on the injected
 * Clock, per-agent token budgets, and the agent tool loop (streaming, parallel tool calls,
 * cancellation that reaches the HTTP request and every tool, awaited compaction).
 */

export {
  AGENT_DEFAULTS,
  AgentLoop,
  type AgentLoopOptions,
  type AgentRunRequest,
  type AgentRunResult,
  type ToolCallRecord,
} from "./agent-loop.ts";
export { type AgentStream, streamAgent } from "./agent-stream.ts";
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitBreakers,
  type CircuitState,
} from "./circuit-breaker.ts";
export {
  ambiguity,
  type ConversationTurn,
  type InterviewAnswer,
  type InterviewDecision,
  type InterviewOptions,
  interview,
  interviewSchema,
  READY_AMBIGUITY,
  SIMPLE_SEED_AMBIGUITY,
} from "./interview.ts";
export type {
  MemoryPort,
  MemoryWrite,
  RecalledMemory,
  ToolCallContext,
  ToolCallRequest,
  ToolDefinition,
  ToolExecutor,
  ToolOutcome,
} from "./ports.ts";
export { callProvider, type ProviderCallOptions, type RetryPolicy } from "./provider-call.ts";
export { isRetryableProviderError, toProviderError } from "./provider-errors.ts";
export { DEMO_LABEL, DemoLanguageModel, demoIntent } from "./providers/demo-model.ts";
export {
  DEFAULT_OLLAMA_BASE_URL,
  type ModelConfig,
  type ProviderName,
  parseModelSpec,
  type ResolvedModel,
  resolveModel,
} from "./providers/resolve-model.ts";
export { buildSystemPrompt, type Seed, type SystemPromptInput } from "./system-prompt.ts";
export { estimateTokens, truncateChars } from "./text.ts";
export { TokenBudgets, type TokenBudgetsOptions, type TokenUsage } from "./token-budgets.ts";
