/**
 * The agent status machine. `stopped` and `failed` are terminal; every transition is
 * validated so an agent can never, for example, go from `stopped` back to `running`.
 *
 *   starting ─▶ idle ─▶ running ─▶ idle          (a run completed; the agent may run again)
 *                 │        ├────▶ stopped        (killed, or its run was cancelled)
 *                 │        └────▶ failed         (its run threw or timed out)
 *                 └─▶ stopped                    (killed while idle)
 */

import { KernelError } from "@oxios/core";
import { SupervisorErrorCode } from "./error-codes.ts";

export type AgentStatus = "starting" | "running" | "idle" | "stopped" | "failed";

const allowed: Record<AgentStatus, readonly AgentStatus[]> = {
  starting: ["idle", "running", "stopped", "failed"],
  idle: ["running", "stopped", "failed"],
  running: ["idle", "stopped", "failed"],
  stopped: [],
  failed: [],
};

export function isTerminal(status: AgentStatus): boolean {
  return status === "stopped" || status === "failed";
}

/** Throws `AGENT_TRANSITION_INVALID` unless `from → to` is allowed. */
export function assertTransition(agentId: string, from: AgentStatus, to: AgentStatus): void {
  if (!allowed[from].includes(to)) {
    throw new KernelError(
      SupervisorErrorCode.agentTransitionInvalid,
      `agent ${agentId} cannot go from ${from} to ${to}`,
      {
        details: { agentId, from, to },
      },
    );
  }
}
