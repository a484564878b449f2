/**
 * The translation of Node's fs errors into the codes of @oxios/tools, so no raw `ENOENT` ever
 * reaches a caller or a model.
 */

import { CoreErrorCode, KernelError } from "@oxios/core";
import { ToolErrorCode } from "./error-codes.ts";

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
      return new KernelError(CoreErrorCode.aborted, "operation aborted", { cause: error, details });
    default:
      return new KernelError(ToolErrorCode.fsFailed, `file system error on ${path}: ${message}`, {
        cause: error,
        details,
      });
  }
}
