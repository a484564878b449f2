/**
 * The messages of an agent run's transcript, built one way for the live loop and for a run
 * rebuilt from its journal (`replaySteps`), so a resumed run sends the model exactly what an
 * uninterrupted one would have.
 */

import type {
  LanguageModelV3Message,
  LanguageModelV3ToolCallPart,
  LanguageModelV3ToolResultPart,
} from "@ai-sdk/provider";
import type { ToolOutcome } from "./ports.ts";
import type { RequestedToolCall } from "./run-journal.ts";

/** One tool call of a run with its outcome. */
export interface ToolCallRecord {
  callId: string;
  name: string;
  input: unknown;
  outcome: ToolOutcome;
}

/** The system prompt and the user's message that open every run. */
export function openingMessages(system: string, input: string): LanguageModelV3Message[] {
  return [
    { role: "system", content: system },
    { role: "user", content: [{ type: "text", text: input }] },
  ];
}

/** The model's turn: its text and the tool calls it requested. */
export function assistantMessage(text: string, calls: readonly RequestedToolCall[]): LanguageModelV3Message {
  const message: LanguageModelV3Message = { role: "assistant", content: [] };
  if (text) message.content.push({ type: "text", text });
  for (const call of calls) message.content.push(toolCallPart(call));
  return message;
}

/** The results of one turn's tool calls, in the order the model requested them. */
export function toolMessage(records: readonly ToolCallRecord[]): LanguageModelV3Message {
  return { role: "tool", content: records.map(toolResultPart) };
}

/** Replaces everything after the opening messages with the compaction summary. */
export function compact(prompt: LanguageModelV3Message[], summary: string): void {
  prompt.splice(2, prompt.length - 2, {
    role: "user",
    content: [
      {
        type: "text",
        text: `Summary of the earlier work in this run (older messages were compacted):\n${summary}\n\nContinue.`,
      },
    ],
  });
}

/** A requested call's arguments, parsed; malformed ones stay the raw string so the model sees what it sent. */
export function requestedInput(call: RequestedToolCall): unknown {
  try {
    return JSON.parse(call.rawInput || "{}");
  } catch {
    return call.rawInput;
  }
}

function toolCallPart(call: RequestedToolCall): LanguageModelV3ToolCallPart {
  return { type: "tool-call", toolCallId: call.callId, toolName: call.name, input: requestedInput(call) };
}

function toolResultPart(record: ToolCallRecord): LanguageModelV3ToolResultPart {
  const output: LanguageModelV3ToolResultPart["output"] = record.outcome.ok
    ? { type: "text", value: record.outcome.output }
    : { type: "error-text", value: `${record.outcome.errorCode}: ${record.outcome.message}` };
  return { type: "tool-result", toolCallId: record.callId, toolName: record.name, output };
}
