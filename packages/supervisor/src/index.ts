/**
 * @module @oxios/supervisor — the kernel's init: agents as processes (spawn, run through the
 * scheduler, wait, kill that really stops, state export) and OTP-style supervision trees.
 */
export type { AgentContext, AgentFunction, AgentHandle, AgentSpec, AgentStateHooks } from "./agent.ts";
export { type AgentStatus, isTerminal } from "./agent-status.ts";
export { SupervisorErrorCode } from "./error-codes.ts";
export type { AdmissionLease, AgentScheduler, AgentTaskSpec } from "./ports.ts";
export {
  type ChildInfo,
  type ChildSpec,
  type ChildStatus,
  type RestartIntensity,
  type RestartStrategy,
  type RestartType,
  type StopReport,
  SupervisionTree,
  type SupervisionTreeOptions,
} from "./supervision-tree.ts";
export {
  type GrantedLease,
  type RunOptions,
  Supervisor,
  type SupervisorOptions,
  type SupervisorShutdownReport,
  type SupervisorStats,
} from "./supervisor.ts";
