/**
 * @module @oxios/tools — the tool contract (`defineTool`), the access gate every call passes
 * through (capability templates, roles, per-agent permissions, path confinement on real
 * paths, exec policy, approvals, audit of every decision), a registry that hands out gated
 * sessions and converts tools to the Vercel AI SDK format, and the built-in tools: exec,
 * read/write/edit/ls/grep/find, memory, space, kernel and audit tools. Every tool honours
 * its abort signal; exec kills the whole process group.
 */

export {
  ApprovalBroker,
  type ApprovalBrokerOptions,
  type ApprovalDecision,
  type ApprovalDefault,
  type ApprovalRecord,
  type ApprovalRequest,
  type ApprovalStatus,
  type ApprovalStore,
  InMemoryApprovalStore,
  type PendingApproval,
} from "./approvals.ts";
export { type BuiltinToolOptions, builtinTools } from "./builtin-tools.ts";
export { ToolErrorCode, type ToolErrorCodeValue } from "./error-codes.ts";
export { EXEC_METACHARACTERS } from "./exec/exec-policy.ts";
export {
  EXEC_ENV_ALLOWLIST,
  EXEC_TIMEOUT_SECONDS,
  type ExecOutput,
  type ExecToolOptions,
  execTool,
} from "./exec/exec-tool.ts";
export { editTool } from "./fs/edit-tool.ts";
export { DEFAULT_FILE_LIMITS, type FileToolLimits } from "./fs/file-limits.ts";
export { findTool } from "./fs/find-tool.ts";
export { type GrepMatch, grepTool } from "./fs/grep-tool.ts";
export { type LsEntry, lsTool } from "./fs/ls-tool.ts";
export { readTool } from "./fs/read-tool.ts";
export { writeTool } from "./fs/write-tool.ts";
export { auditQueryTool, auditVerifyTool, kernelAgentsTool, schedulerStatsTool } from "./kernel-tools.ts";
export { memoryReadTool, memorySearchTool, memoryWriteTool } from "./memory-tools.ts";
export { type PathAccess, PathGuard } from "./path-guard.ts";
export {
  type AgentIdentity,
  type AgentPermissions,
  CAPABILITY_TEMPLATES,
  type CapabilityTemplate,
  DEFAULT_EXEC_BINARIES,
  type EffectivePermissions,
  ROLE_CEILING,
  type Role,
  TEMPLATE_ORDER,
  type ToolFamily,
  toolNameMatches,
} from "./permissions.ts";
export type {
  AgentInfo,
  AuditEntryInput,
  AuditSink,
  AuditSinkQuery,
  KernelPort,
  MemoryInput,
  MemoryPort,
  MemoryRecord,
  PortCallOptions,
  ScheduleInfo,
  ScheduleInput,
  SchedulePort,
  SkillContent,
  SkillInfo,
  SkillPort,
  SpaceInfo,
  SpacePort,
  ToolPorts,
} from "./ports.ts";
export { ToolRegistry, type ToolRegistryOptions, ToolSession, toolJsonSchema } from "./registry.ts";
export {
  BubblewrapSandbox,
  type BubblewrapSandboxOptions,
  DEFAULT_SANDBOX_HOST_USER,
  SANDBOX_PATH,
  type SandboxIdentity,
} from "./sandbox/bubblewrap-sandbox.ts";
export { platformSandbox } from "./sandbox/platform-sandbox.ts";
export {
  DEFAULT_RESOURCE_LIMITS,
  type PreparedSandbox,
  type ResourceLimits,
  type Sandbox,
  type SandboxAvailability,
  type SandboxCommand,
  type SandboxPolicy,
  type SandboxProcess,
} from "./sandbox/sandbox.ts";
export { SeatbeltSandbox, type SeatbeltSandboxOptions } from "./sandbox/seatbelt-sandbox.ts";
export { UnavailableSandbox } from "./sandbox/unavailable-sandbox.ts";
export { Unsandboxed } from "./sandbox/unsandboxed.ts";
export { scheduleDeleteTool, scheduleListTool, schedulePutTool, scheduleRunTool } from "./schedule-tools.ts";
export { skillReadTool } from "./skill-tools.ts";
export { spaceActivateTool, spaceGetTool, spaceListTool } from "./space-tools.ts";
export {
  type AccessRequest,
  type AnyTool,
  type CallPaths,
  defineTool,
  type ExecRequest,
  TOOL_NAME_PATTERN,
  type Tool,
  type ToolContext,
  type ToolDefinition,
  type ToolResult,
  type ToolReturn,
} from "./tool.ts";
