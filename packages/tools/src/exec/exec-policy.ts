/**
 * The exec policy the gate applies before a process is started: structured mode runs only an
 * allowlisted bare binary with arguments free of shell metacharacters; shell mode is off
 * unless the agent's permissions turn it on and its role is at least superuser (and then
 * every shell call still needs an approval unless the role is admin).
 */

import type { EffectivePermissions } from "../permissions.ts";
import { roleAtLeast } from "../permissions.ts";
import type { ExecRequest } from "../tool.ts";

/** Characters refused in structured-mode arguments: `| & ; $ \` < > ( ) { }`, CR, LF and NUL. */
export const EXEC_METACHARACTERS = /[|&;$`<>(){}\r\n\0]/;
const parentSegment = /(^|\/)\.\.(\/|$)/;
const bareBinary = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** Why the exec call is refused, or undefined when the policy allows it. */
export function execRefusal(request: ExecRequest, permissions: EffectivePermissions): string | undefined {
  if (request.mode === "shell") {
    if (!permissions.exec.shell) return "shell mode is off for this agent";
    if (!roleAtLeast(permissions.role, "superuser"))
      return `shell mode needs role superuser or admin, not ${permissions.role}`;
    return undefined;
  }
  if (!bareBinary.test(request.binary)) {
    return `binary must be a bare name looked up on PATH, not ${JSON.stringify(request.binary)}`;
  }
  if (!permissions.exec.binaries.has(request.binary)) return `binary ${request.binary} is not on the exec allowlist`;
  for (const [index, arg] of request.args.entries()) {
    const found = EXEC_METACHARACTERS.exec(arg);
    if (found !== null) {
      return `argument ${index} contains the shell metacharacter ${JSON.stringify(found[0])}`;
    }
    if (parentSegment.test(arg)) return `argument ${index} contains a ".." path segment`;
  }
  return undefined;
}
