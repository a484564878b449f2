/**
 * Rebuilds an agent run's state from its journalled steps — any prefix of them, as a crash
 * may cut the log after any write — so the loop continues exactly where the journal ends:
 * the transcript to send the model next, the usage and tool calls so far, and the tool calls
 * of the last model turn that have no result yet (`open`).
 */

import type { LanguageModelV3Message } from "@ai-sdk/provider";
import type { RequestedToolCall, RunStep } from "./run-journal.ts";
import type { TokenUsage } from "./token-budgets.ts";
import { assistantMessage, compact, openingMessages, type ToolCallRecord, toolMessage } from "./transcript.ts";

export interface OpenToolCalls {
  /** The calls of the last model turn, in the order the model requested them. */
  calls: RequestedToolCall[];
  /** Results journalled so far, by call id. */
  results: Map<string, ToolCallRecord>;
  /** Calls that had started (a `tool-call` step) — without a result they were in flight. */
  started: Set<string>;
}

export interface ReplayedRun {
  /** The transcript; empty when not even the prompt was journalled. */
  prompt: LanguageModelV3Message[];
  usage: TokenUsage;
  /** Tool calls with their outcomes, in order (the open turn's are not among them). */
  toolCalls: ToolCallRecord[];
  /** Model turns made so far. */
  modelSteps: number;
  compactions: number;
  /** The last model turn's text. */
  lastText: string;
  /** True when the last model turn requested no tool: `lastText` is the run's answer. */
  answered: boolean;
  open?: OpenToolCalls;
}

export function replaySteps(steps: readonly RunStep[]): ReplayedRun {
  const state: ReplayedRun = {
    prompt: [],
    usage: { inputTokens: 0, outputTokens: 0 },
    toolCalls: [],
    modelSteps: 0,
    compactions: 0,
    lastText: "",
    answered: false,
  };
  for (const step of steps) {
    switch (step.kind) {
      case "prompt":
        state.prompt = openingMessages(step.system, step.input);
        break;
      case "model":
        state.modelSteps++;
        add(state.usage, step.usage);
        state.lastText = step.text;
        state.prompt.push(assistantMessage(step.text, step.toolCalls));
        state.answered = step.toolCalls.length === 0;
        if (!state.answered) state.open = { calls: [...step.toolCalls], results: new Map(), started: new Set() };
        break;
      case "tool-call":
        state.open?.started.add(step.callId);
        break;
      case "tool-result": {
        const open = state.open;
        if (open === undefined) break;
        open.results.set(step.callId, {
          callId: step.callId,
          name: step.name,
          input: step.input,
          outcome: step.outcome,
        });
        if (open.calls.every((call) => open.results.has(call.callId))) closeTurn(state, open);
        break;
      }
      case "compaction":
        add(state.usage, step.usage);
        compact(state.prompt, step.summary);
        state.compactions++;
        break;
    }
  }
  return state;
}

/** Adds the open turn's results to the transcript in the order the model requested them. */
export function closeTurn(state: ReplayedRun, open: OpenToolCalls): ToolCallRecord[] {
  const records = open.calls.map((call) => open.results.get(call.callId) as ToolCallRecord);
  state.toolCalls.push(...records);
  state.prompt.push(toolMessage(records));
  delete state.open;
  return records;
}

function add(total: TokenUsage, step: TokenUsage): void {
  total.inputTokens += step.inputTokens;
  total.outputTokens += step.outputTokens;
}
