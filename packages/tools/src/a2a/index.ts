/**
 * @module @oxios/tools/a2a — Agent2Agent interop: the kernel's A2A server as a fetch-style
 * handler (agent card, JSON-RPC, SSE streaming, real cancellation through `A2aKernelPort`),
 * and the client side — a registry of local and remote agents behind a circuit breaker and
 * retries on the Clock — with the tools `a2a_delegate`, `a2a_send` and `a2a_query`.
 */

export { A2aErrorCode } from "../error-codes.ts";
export {
  type A2aAgentSummary,
  A2aAgents,
  type A2aAgentsOptions,
  type A2aDelegation,
  type A2aStatusUpdate,
  type A2aTaskOutcome,
} from "./a2a-agents.ts";
export { type A2aServer, type A2aServerOptions, AGENT_CARD_PATH, createA2aServer } from "./a2a-server.ts";
export { a2aTools } from "./a2a-tools.ts";
export {
  type AgentCardJson,
  type AgentSkillJson,
  agentCardSchema,
  buildKernelAgentCard,
  type KernelAgentCardInput,
  validateAgentCard,
} from "./agent-card.ts";
export type {
  A2aKernelPort,
  A2aKernelTaskState,
  A2aKernelTaskUpdate,
  A2aTaskRequest,
} from "./kernel-port.ts";
