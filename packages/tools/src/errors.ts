/**
 * The stable error codes of @oxios/tools and the translation of Node's fs errors into them,
 * so no raw `ENOENT` ever reaches a caller or a model.
 */

import { KernelError } from "@oxios/core";

export const ToolErrorCode = {
  /** The input failed the tool's schema; the message carries the schema error. */
  inputInvalid: "TOOL_INPUT_INVALID",
  /** A path is outside the allowed roots, matches a denied glob, or escapes through a symlink. */
  pathDenied: "TOOL_PATH_DENIED",
  /** exec refused the call: binary not allowlisted, metacharacters, shell mode off. */
  execDenied: "TOOL_EXEC_DENIED",
  /** The access gate refused the tool (template, role or per-agent tool list). */
  denied: "TOOL_DENIED",
  /** The call needs network access and the agent has none. */
  networkDenied: "TOOL_NETWORK_DENIED",
  /** A dangerous action was rejected, or nobody approved it before the timeout. */
  approvalDenied: "TOOL_APPROVAL_DENIED",
  /** No tool of that name is registered. */
  notFound: "TOOL_NOT_FOUND",
  /** A tool name does not match `^[a-zA-Z0-9_-]{1,64}$`, or a definition is malformed. */
  definitionInvalid: "TOOL_DEFINITION_INVALID",
  /** Two tools with one name were registered. */
  duplicate: "TOOL_DUPLICATE",
  /** The audit trail could not record the gate's decision, so the call did not run. */
  auditFailed: "TOOL_AUDIT_FAILED",
  /** A port the tool needs (memory, space, kernel, audit query) was not provided. */
  unavailable: "TOOL_UNAVAILABLE",
  /** A file is larger than the tool's size limit. */
  fileTooLarge: "TOOL_FILE_TOO_LARGE",
  /** The file or directory does not exist. */
  fileNotFound: "TOOL_FILE_NOT_FOUND",
  /** The path is not what the tool needs (a directory for read, a file for ls, a FIFO…). */
  wrongFileType: "TOOL_WRONG_FILE_TYPE",
  /** The operating system refused access (EACCES, EPERM). */
  fsPermission: "TOOL_FS_PERMISSION",
  /** Any other file system failure. */
  fsFailed: "TOOL_FS_FAILED",
  /** edit found no occurrence of the text to replace. */
  editNoMatch: "TOOL_EDIT_NO_MATCH",
  /** edit found the text to replace more than once. */
  editAmbiguous: "TOOL_EDIT_AMBIGUOUS",
  /** memory_read found no memory with the id. */
  memoryNotFound: "TOOL_MEMORY_NOT_FOUND",
  /** space_get / space_activate found no space with the id. */
  spaceNotFound: "TOOL_SPACE_NOT_FOUND",
  /** space_activate has no session to activate the space in. */
  sessionMissing: "TOOL_SESSION_MISSING",
  /** skill_read found no skill of that name for the agent, or no such file in it. */
  skillNotFound: "TOOL_SKILL_NOT_FOUND",
  /** exec could not start the process (binary missing on PATH, spawn failure). */
  execFailed: "TOOL_EXEC_FAILED",
  /** exec refused: no OS sandbox can start here (bubblewrap missing, user namespaces off). */
  sandboxUnavailable: "EXEC_SANDBOX_UNAVAILABLE",
  /** A tool threw something that was not a KernelError. */
  failed: "TOOL_FAILED",
} as const;

export type ToolErrorCodeValue = (typeof ToolErrorCode)[keyof typeof ToolErrorCode];

/** Translates an fs error into a KernelError with a tools code; KernelErrors pass through. */
export function fsError(error: unknown, path: string): KernelError {
  if (KernelError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const details = { path, errno: typeof code === "string" ? code : undefined };
  switch (code) {
    case "ENOENT":
      return new KernelError(ToolErrorCode.fileNotFound, `no such file or directory: ${path}`, {
        cause: error,
        details,
      });
    case "EISDIR":
    case "ENOTDIR":
      return new KernelError(ToolErrorCode.wrongFileType, `wrong file type for ${path}: ${message}`, {
        cause: error,
        details,
      });
    case "EACCES":
    case "EPERM":
      return new KernelError(ToolErrorCode.fsPermission, `permission denied by the OS: ${path}`, {
        cause: error,
        details,
      });
    case "ABORT_ERR":
      return new KernelError("ABORTED", "operation aborted", { cause: error, details });
    default:
      return new KernelError(ToolErrorCode.fsFailed, `file system error on ${path}: ${message}`, {
        cause: error,
        details,
      });
  }
}
