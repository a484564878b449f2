/** The record of one direct run: what it was asked, where it stands and how it ended. */

import type { Priority } from "@oxios/event-bus";
import type { TokenUsage } from "./token-budgets.ts";
import type { ToolCallRecord } from "./transcript.ts";

export type RunStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

/** A snapshot of one direct run. */
export interface RunRecord {
  taskId: string;
  agentId: string;
  goal: string;
  priority: Priority;
  status: RunStatus;
  sessionId?: string;
  spaceId?: string;
  /** The agent profile the run used. */
  agent?: string;
  /** The model that answered (`provider/modelId`); a fallback when the profile's first model could not. */
  model?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  /** How often the run continued from its journal after the kernel stopped mid-run. */
  resumes?: number;
  /** The agent's final answer (completed runs). */
  text?: string;
  /** `max-steps` when the model was still calling tools at the step limit. */
  finishReason?: "stop" | "max-steps";
  steps?: number;
  usage?: TokenUsage;
  toolCalls?: Array<Pick<ToolCallRecord, "callId" | "name"> & { ok: boolean }>;
  error?: { code: string; message: string };
  /** The OpenTelemetry trace of the run (32 hex digits) when the kernel exports traces; kept across resumes. */
  traceId?: string;
}

/** Statuses a run never leaves. */
export function isFinished(status: RunStatus): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}
