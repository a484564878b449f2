/** Fetches a port from a tool's context or fails the call with `TOOL_UNAVAILABLE`. */

import { KernelError } from "@oxios/core";
import { ToolErrorCode } from "./error-codes.ts";

export function requirePort<T>(port: T | undefined, name: string, tool: string): T {
  if (port === undefined) {
    throw new KernelError(
      ToolErrorCode.unavailable,
      `${tool} needs the ${name} port, which this kernel did not provide`,
    );
  }
  return port;
}
