/**
 * The agent loop's conversions to and from the AI SDK's provider types, kept beside
 * `agent-loop.ts` (as vercel/ai keeps `do-stream-text-step.ts` beside `generate-text.ts`):
 * a tool definition as a model tool, the call options of a step and of a compaction, one
 * response (streamed or whole) read into text, tool calls and usage, and a message as plain text.
 */

import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FunctionTool,
  LanguageModelV3GenerateResult,
  LanguageModelV3Message,
  LanguageModelV3Prompt,
  LanguageModelV3Usage,
} from "@ai-sdk/provider";
import type { ModelToolDefinition } from "./ports.ts";
import type { RequestedToolCall } from "./run-journal.ts";
import { truncateChars } from "./text.ts";
import type { TokenUsage } from "./token-budgets.ts";
import type { ModelCallOutcome } from "./traced-calls.ts";

/** What one model call produced (with what its span records). */
export interface StepResult extends ModelCallOutcome {
  text: string;
  toolCalls: RequestedToolCall[];
}

/** The sampling settings of one model call. */
export interface StepSettings {
  temperature: number;
  maxOutputTokens: number;
  signal: AbortSignal;
}

/** The call options of one loop step: the transcript so far and the agent's tools. */
export function stepCallOptions(
  prompt: LanguageModelV3Prompt,
  tools: readonly LanguageModelV3FunctionTool[],
  settings: StepSettings,
): LanguageModelV3CallOptions {
  return {
    prompt: [...prompt],
    temperature: settings.temperature,
    maxOutputTokens: settings.maxOutputTokens,
    abortSignal: settings.signal,
    ...(tools.length > 0 ? { tools: [...tools], toolChoice: { type: "auto" as const } } : {}),
  };
}

/** The call options that ask the model to summarize a run's older messages. */
export function compactionCallOptions(
  older: readonly LanguageModelV3Message[],
  signal: AbortSignal,
): LanguageModelV3CallOptions {
  return {
    prompt: [
      {
        role: "system",
        content:
          "Summarize the work so far for the agent that continues it: what was done, what was found, what is left. Be brief and concrete.",
      },
      { role: "user", content: [{ type: "text", text: truncateChars(transcriptText(older), 40_000) }] },
    ],
    temperature: 0,
    maxOutputTokens: 1_024,
    abortSignal: signal,
  };
}

/** Reads one streamed model response, surfacing text deltas as they arrive. */
export async function streamStep(
  model: LanguageModelV3,
  options: LanguageModelV3CallOptions,
  onDelta: (delta: string) => void,
): Promise<StepResult> {
  const { stream } = await model.doStream(options);
  const reader = stream.getReader();
  let text = "";
  const toolCalls: StepResult["toolCalls"] = [];
  let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  let finishReason: string | undefined;
  let responseModel: string | undefined;
  try {
    for (;;) {
      const { done, value: part } = await reader.read();
      if (done) break;
      switch (part.type) {
        case "text-delta":
          if (part.delta) {
            text += part.delta;
            onDelta(part.delta);
          }
          break;
        case "tool-call":
          toolCalls.push({ callId: part.toolCallId, name: part.toolName, rawInput: part.input });
          break;
        case "response-metadata":
          responseModel = part.modelId ?? responseModel;
          break;
        case "finish":
          usage = fromUsage(part.usage);
          finishReason = part.finishReason.unified;
          break;
        case "error":
          throw part.error;
        default:
          break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  return {
    text,
    toolCalls,
    usage,
    ...(finishReason === undefined ? {} : { finishReason }),
    ...(responseModel === undefined ? {} : { responseModel }),
  };
}

/** What a generated (compaction) call's span records. */
export function generatedOutcome(generated: LanguageModelV3GenerateResult): ModelCallOutcome {
  return {
    usage: fromUsage(generated.usage),
    finishReason: generated.finishReason.unified,
    ...(generated.response?.modelId === undefined ? {} : { responseModel: generated.response.modelId }),
  };
}

/**
 * Reads one whole (non-streamed) model response: the step of a run whose text deltas nobody
 * follows, which spares the stream's parsing.
 */
export async function generateStep(model: LanguageModelV3, options: LanguageModelV3CallOptions): Promise<StepResult> {
  const generated = await model.doGenerate(options);
  let text = "";
  const toolCalls: StepResult["toolCalls"] = [];
  for (const part of generated.content) {
    if (part.type === "text") text += part.text;
    else if (part.type === "tool-call") {
      toolCalls.push({ callId: part.toolCallId, name: part.toolName, rawInput: part.input });
    }
  }
  return { text, toolCalls, ...generatedOutcome(generated) };
}

/** The SDK's usage as the token counts a budget records. */
export function fromUsage(usage: LanguageModelV3Usage): TokenUsage {
  return { inputTokens: usage.inputTokens.total ?? 0, outputTokens: usage.outputTokens.total ?? 0 };
}

/** The text parts of a generated response, joined and trimmed. */
export function contentText(content: readonly LanguageModelV3Content[]): string {
  return content
    .flatMap((part) => (part.type === "text" ? [part.text] : []))
    .join("")
    .trim();
}

/** A tool definition as the model sees it. */
export function toModelTool(definition: ModelToolDefinition): LanguageModelV3FunctionTool {
  return {
    type: "function",
    name: definition.name,
    description: definition.description,
    inputSchema: definition.inputSchema as LanguageModelV3FunctionTool["inputSchema"],
  };
}

/** Messages as plain text, one line each: what a compaction summarizes. */
export function transcriptText(messages: readonly LanguageModelV3Message[]): string {
  return messages.map(describeMessage).join("\n");
}

function describeMessage(message: LanguageModelV3Message): string {
  if (message.role === "system") return `system: ${message.content}`;
  const parts = message.content.map((part) => {
    switch (part.type) {
      case "text":
        return part.text;
      case "tool-call":
        return `[call ${part.toolName} ${JSON.stringify(part.input)}]`;
      case "tool-result":
        return `[result ${part.toolName}: ${truncateChars(JSON.stringify(part.output), 2_000)}]`;
      default:
        return `[${part.type}]`;
    }
  });
  return `${message.role}: ${parts.join(" ")}`;
}
