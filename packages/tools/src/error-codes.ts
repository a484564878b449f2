/**
 * The stable error codes @oxios/tools throws (as `KernelError.code`) or reports as a tool
 * outcome's `errorCode`: the registry, gate and built-in tools (`TOOL_*`), the A2A client and
 * server (`A2A_*`, also on `@oxios/tools/a2a`), MCP (`MCP_*`, on `@oxios/tools/mcp`) and the
 * browser (`BROWSER_*`, on `@oxios/tools/browser`). Callers branch on these; messages are for
 * people and may change.
 */

import { defineErrorCodes } from "@oxios/core";

export const ToolErrorCode = defineErrorCodes("@oxios/tools", {
  inputInvalid: {
    code: "TOOL_INPUT_INVALID",
    kind: "invalid",
    description: "A tool call's input is not JSON or fails the tool's schema; the message carries why.",
  },
  pathDenied: {
    code: "TOOL_PATH_DENIED",
    kind: "denied",
    description: "A path is outside the allowed roots, matches a denied glob, or escapes through a symlink.",
  },
  execDenied: {
    code: "TOOL_EXEC_DENIED",
    kind: "denied",
    description: "exec refused the call: binary not allowlisted, metacharacters, shell mode off.",
  },
  sandboxUnavailable: {
    code: "EXEC_SANDBOX_UNAVAILABLE",
    kind: "unavailable",
    description:
      "exec refused: no OS sandbox can start here (bubblewrap missing, user namespaces off); the message says how to install it.",
  },
  denied: {
    code: "TOOL_DENIED",
    kind: "denied",
    description: "The access gate refused the tool (template, role or per-agent tool list).",
  },
  networkDenied: {
    code: "TOOL_NETWORK_DENIED",
    kind: "denied",
    description: "The call needs network access and the agent has none.",
  },
  approvalDenied: {
    code: "TOOL_APPROVAL_DENIED",
    kind: "denied",
    description: "A dangerous action was rejected, or nobody approved it before the timeout.",
  },
  approvalTimeoutInvalid: {
    code: "TOOL_APPROVAL_TIMEOUT_INVALID",
    kind: "invalid",
    description: "An approval was requested with a negative or non-finite timeout.",
  },
  approvalResolverInvalid: {
    code: "TOOL_APPROVAL_RESOLVER_INVALID",
    kind: "invalid",
    description: "An approval was decided by `timeout`, `aborted` or an empty name, which only the broker uses.",
  },
  approvalNotFound: {
    code: "TOOL_APPROVAL_NOT_FOUND",
    kind: "not-found",
    description: "No approval has that id (in this kernel's approval records).",
  },
  approvalAlreadyDecided: {
    code: "TOOL_APPROVAL_ALREADY_DECIDED",
    kind: "conflict",
    description:
      "The approval was decided before (approved, rejected, expired or cancelled); `details.status` and `details.decidedBy` say how.",
  },
  notFound: {
    code: "TOOL_NOT_FOUND",
    kind: "not-found",
    description: "No tool of that name is registered (or the agent loop has no tools).",
  },
  definitionInvalid: {
    code: "TOOL_DEFINITION_INVALID",
    kind: "invalid",
    description: "A tool name does not match `^[a-zA-Z0-9_-]{1,64}$`, or a definition is malformed.",
  },
  duplicate: {
    code: "TOOL_DUPLICATE",
    kind: "conflict",
    description: "Two tools with one name were registered.",
  },
  auditFailed: {
    code: "TOOL_AUDIT_FAILED",
    kind: "internal",
    description: "The audit trail could not record the gate's decision, so the call did not run.",
  },
  unavailable: {
    code: "TOOL_UNAVAILABLE",
    kind: "unavailable",
    description: "A port the tool needs (memory, space, kernel, audit query) was not provided.",
  },
  fileTooLarge: {
    code: "TOOL_FILE_TOO_LARGE",
    kind: "too-large",
    description: "A file is larger than the tool's size limit.",
  },
  fileNotFound: {
    code: "TOOL_FILE_NOT_FOUND",
    kind: "not-found",
    description: "The file or directory does not exist.",
  },
  wrongFileType: {
    code: "TOOL_FILE_TYPE_INVALID",
    kind: "invalid",
    description: "The path is not what the tool needs (a directory for read, a file for ls, a FIFO…).",
  },
  fsPermission: {
    code: "TOOL_FS_PERMISSION",
    kind: "denied",
    description: "The operating system refused access (EACCES, EPERM).",
  },
  fsFailed: {
    code: "TOOL_FS_FAILED",
    kind: "internal",
    description: "Any other file system failure.",
  },
  editNoMatch: {
    code: "TOOL_EDIT_NO_MATCH",
    kind: "not-found",
    description: "edit found no occurrence of the text to replace.",
  },
  editAmbiguous: {
    code: "TOOL_EDIT_AMBIGUOUS",
    kind: "invalid",
    description: "edit found the text to replace more than once.",
  },
  memoryNotFound: {
    code: "TOOL_MEMORY_NOT_FOUND",
    kind: "not-found",
    description: "memory_read found no memory with the id.",
  },
  spaceNotFound: {
    code: "TOOL_SPACE_NOT_FOUND",
    kind: "not-found",
    description: "space_get / space_activate found no space with the id.",
  },
  skillNotFound: {
    code: "TOOL_SKILL_NOT_FOUND",
    kind: "not-found",
    description: "skill_read found no skill of that name for the agent, or no such file in it.",
  },
  sessionMissing: {
    code: "TOOL_SESSION_MISSING",
    kind: "invalid",
    description: "space_activate has no session to activate the space in.",
  },
  execFailed: {
    code: "TOOL_EXEC_FAILED",
    kind: "internal",
    description: "exec could not start the process (binary missing on PATH, spawn failure).",
  },
  failed: {
    code: "TOOL_FAILED",
    kind: "internal",
    description: "A tool threw something that was not a KernelError.",
  },
});

export type ToolErrorCodeValue = (typeof ToolErrorCode)[keyof typeof ToolErrorCode];

export const A2aErrorCode = defineErrorCodes("@oxios/tools", {
  cardInvalid: {
    code: "A2A_AGENT_CARD_INVALID",
    kind: "invalid",
    description: "An agent card (local or fetched from a remote agent) failed validation.",
  },
  agentUnknown: {
    code: "A2A_AGENT_UNKNOWN",
    kind: "not-found",
    description: "No agent in the registry matches the name, URL or capability.",
  },
  circuitOpen: {
    code: "A2A_CIRCUIT_OPEN",
    kind: "upstream",
    description: "The agent's circuit breaker is open after repeated failures; calls are refused until it half-opens.",
  },
  remoteFailed: {
    code: "A2A_REMOTE_FAILED",
    kind: "upstream",
    description: "The remote agent could not be reached or answered with an error, after retries.",
  },
  taskFailed: {
    code: "A2A_TASK_FAILED",
    kind: "upstream",
    description: "The remote agent reported the delegated task failed or was rejected.",
  },
  urlInvalid: {
    code: "A2A_URL_INVALID",
    kind: "invalid",
    description: "A URL is not http(s).",
  },
  kernelFailed: {
    code: "A2A_KERNEL_FAILED",
    kind: "internal",
    description: "The kernel port failed a task the A2A server relays with something that was not a KernelError.",
  },
  sdkUnavailable: {
    code: "A2A_SDK_UNAVAILABLE",
    kind: "unavailable",
    description:
      "The A2A SDK (`@a2a-js/sdk`, loaded at the first request to the agent card or `/a2a`, or at the first `a2a_send`, `a2a_delegate` or cancel) could not be loaded; the next request tries again.",
  },
  kernelTaskUnknown: {
    code: "A2A_KERNEL_TASK_UNKNOWN",
    kind: "not-found",
    description: "`FakeA2aKernel` (testing) has no task with that id.",
  },
});

export const McpErrorCode = defineErrorCodes("@oxios/tools", {
  configInvalid: {
    code: "MCP_CONFIG_INVALID",
    kind: "invalid",
    description: "An MCP server configuration failed validation, or two servers share a name.",
  },
  serverUnknown: {
    code: "MCP_SERVER_UNKNOWN",
    kind: "not-found",
    description: "No MCP server with that name is configured.",
  },
  serverUnavailable: {
    code: "MCP_SERVER_UNAVAILABLE",
    kind: "upstream",
    description: "The server is not connected: it crashed, exited, failed to start or is restarting.",
  },
  timeout: {
    code: "MCP_TIMEOUT",
    kind: "timeout",
    description: "The server did not answer within the request timeout; the request was cancelled.",
  },
  toolError: {
    code: "MCP_TOOL_FAILED",
    kind: "upstream",
    description: "The server ran the tool and reported an error (`isError`), or rejected the request.",
  },
});

export const BrowserErrorCode = defineErrorCodes("@oxios/tools", {
  unavailable: {
    code: "BROWSER_UNAVAILABLE",
    kind: "unavailable",
    description: "Chromium is not installed, or cannot start.",
  },
  urlInvalid: {
    code: "BROWSER_URL_INVALID",
    kind: "invalid",
    description: "The URL is not http(s) (file:, data:, javascript:, chrome: …) or not a URL at all.",
  },
  urlBlocked: {
    code: "BROWSER_URL_BLOCKED",
    kind: "denied",
    description: "The URL's host resolves into a blocked address range.",
  },
  timeout: {
    code: "BROWSER_TIMEOUT",
    kind: "timeout",
    description: "Navigation or an action did not finish within its timeout.",
  },
  elementNotFound: {
    code: "BROWSER_ELEMENT_NOT_FOUND",
    kind: "not-found",
    description: "No element matched the selector (click, type, wait_for).",
  },
  failed: {
    code: "BROWSER_FAILED",
    kind: "internal",
    description: "Any other failure of the page or the browser.",
  },
});
