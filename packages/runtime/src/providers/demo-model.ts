/**
 * The `demo` model: a deterministic AI SDK language model (LanguageModelV3) used when no
 * provider is configured. Every reply is labelled `[demo]`. It drives the real tool loop by
 * turning plain requests into real tool calls:
 *
 * - "remember that …"              → memory_write
 * - "what do you remember about …" → memory_search
 * - "list the files"               → ls
 * - "run `…`"                      → exec (structured: binary + args)
 *
 * After a tool result it answers with a short summary of that result. It only calls tools
 * the caller offered, and only with the fields the offered tool's schema declares — the
 * names and inputs are those of `@oxios/tools` (`memory_write {content, type}`,
 * `memory_search {query, limit}`, `ls {path}`, `exec {mode: "structured", binary, args}`).
 *
 * Structured-output requests get a deterministic answer shaped by the requested schema: the
 * orchestrator's interview (a request above is a simple, clear task whose criterion is that
 * tool call succeeding; anything else is a chat reply), its seed writer, and its judge.
 */

import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FunctionTool,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from "@ai-sdk/provider";
import { truncateChars } from "../text.ts";

export const DEMO_LABEL = "[demo]";

interface DemoIntent {
  tool: string;
  input: Record<string, unknown>;
}

/** Maps a plain request to the tool call the demo model makes for it, if any. */
export function demoIntent(text: string): DemoIntent | undefined {
  const remember = /\bremember that\s+(.+)/is.exec(text);
  if (remember?.[1]) return { tool: "memory_write", input: { content: remember[1].trim(), type: "fact" } };
  const recall = /\bwhat do you remember about\s+(.+?)\??\s*$/is.exec(text);
  if (recall?.[1]) return { tool: "memory_search", input: { query: recall[1].trim(), limit: 5 } };
  if (/\blist (?:the |my |all )?files\b/i.test(text)) return { tool: "ls", input: { path: "." } };
  const run = /\brun\s+`([^`]+)`/i.exec(text);
  if (run?.[1]) {
    const [binary = "", ...args] = run[1].trim().split(/\s+/);
    return { tool: "exec", input: { mode: "structured", binary, args } };
  }
  return undefined;
}

export class DemoLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = "v3";
  readonly provider = "demo";
  readonly modelId: string;
  readonly supportedUrls: Record<string, RegExp[]> = {};
  #calls = 0;

  constructor(modelId = "demo") {
    this.modelId = modelId;
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const reply = this.#reply(options);
    return {
      content: reply.content,
      finishReason: { unified: reply.toolCall ? "tool-calls" : "stop", raw: undefined },
      usage: reply.usage,
      warnings: [],
    };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const reply = this.#reply(options);
    const parts: LanguageModelV3StreamPart[] = [{ type: "stream-start", warnings: [] }];
    for (const item of reply.content) {
      if (item.type === "text") {
        parts.push({ type: "text-start", id: "t0" });
        for (const piece of item.text.match(/\S+\s*/g) ?? [])
          parts.push({ type: "text-delta", id: "t0", delta: piece });
        parts.push({ type: "text-end", id: "t0" });
      } else if (item.type === "tool-call") {
        parts.push(item);
      }
    }
    parts.push({
      type: "finish",
      usage: reply.usage,
      finishReason: { unified: reply.toolCall ? "tool-calls" : "stop", raw: undefined },
    });
    const signal = options.abortSignal;
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      start(controller) {
        if (signal?.aborted) {
          controller.error(signal.reason);
          return;
        }
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    return { stream };
  }

  #reply(options: LanguageModelV3CallOptions): {
    content: LanguageModelV3Content[];
    usage: LanguageModelV3Usage;
    toolCall: boolean;
  } {
    const prompt = options.prompt;
    const last = prompt.at(-1);
    let text: string;
    let toolCall: LanguageModelV3Content | undefined;
    if (last?.role === "tool") {
      const results = last.content.flatMap((part) =>
        part.type === "tool-result" ? [describeToolResult(part.toolName, part.output)] : [],
      );
      text = `${DEMO_LABEL} ${results.join(" ")}`;
    } else if (options.responseFormat?.type === "json") {
      text = JSON.stringify(structuredReply(options.responseFormat.schema, lastUserText(prompt)));
    } else {
      const request = lastUserText(prompt);
      const intent = demoIntent(request);
      const tool = intent && offeredTool(options, intent.tool);
      if (intent && tool) {
        this.#calls++;
        toolCall = {
          type: "tool-call",
          toolCallId: `demo_call_${this.#calls}`,
          toolName: intent.tool,
          input: JSON.stringify(fitToSchema(intent.input, tool)),
        };
        text = `${DEMO_LABEL} Calling ${intent.tool}.`;
      } else if (intent) {
        text = `${DEMO_LABEL} I would call ${intent.tool}, but that tool is not available to this agent.`;
      } else {
        text = DEMO_CHAT;
      }
    }
    const content: LanguageModelV3Content[] = [{ type: "text", text }];
    if (toolCall) content.push(toolCall);
    const inputTokens = Math.ceil(JSON.stringify(prompt).length / 4);
    const outputTokens = Math.ceil(text.length / 4) + (toolCall ? 10 : 0);
    return {
      content,
      toolCall: toolCall !== undefined,
      usage: {
        inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: outputTokens, text: outputTokens, reasoning: undefined },
      },
    };
  }
}

const DEMO_CHAT =
  `${DEMO_LABEL} No language model is configured, so this is a scripted demo reply. ` +
  'Try "remember that …", "what do you remember about …", "list the files" or "run `…`". ' +
  "For a real model set OXIOS_MODEL and its key (OXIOS_LLM_API_KEY, or OPENAI_API_KEY / ANTHROPIC_API_KEY); " +
  "ollama/<model> needs no key.";

/** The demo's answer to a structured-output request, chosen by the schema's fields. */
function structuredReply(schema: unknown, prompt: string): Record<string, unknown> {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  // The interview and the seed writer see a transcript ("user: …" lines); the request is the last one.
  const request = lastTranscriptLine(prompt);
  if ("isTask" in properties) {
    const intent = demoIntent(request);
    return {
      isTask: intent !== undefined,
      chatResponse: intent ? "" : DEMO_CHAT,
      complexity: "simple",
      questions: [],
      clarity: intent ? { goal: 1, constraints: 1, criteria: 1 } : { goal: 0, constraints: 0, criteria: 0 },
      goal: intent ? request : "",
      constraints: [],
      acceptanceCriteria: intent ? [`the ${intent.tool} tool call succeeds`] : [],
    };
  }
  if ("scores" in properties) {
    // The judge: the demo cannot judge meaning, so it passes work that reported no error.
    // The judge numbers the criteria ("1. …"); one score each.
    const failed = /\b(error|failed|TOOL_[A-Z_]+)\b/.test(prompt);
    const count = Math.max(1, prompt.match(/^\d+\. /gm)?.length ?? 0);
    const reason = `${DEMO_LABEL} ${failed ? "an error was reported" : "no error reported"}`;
    return { scores: Array.from({ length: count }, () => ({ score: failed ? 0 : 1, reason })) };
  }
  if ("goal" in properties) {
    const intent = demoIntent(request);
    return {
      goal: request || "demo task",
      constraints: [],
      acceptanceCriteria: [intent ? `the ${intent.tool} tool call succeeds` : "a reply is given"],
    };
  }
  return { demo: true, text: `${DEMO_LABEL} ${truncateChars(prompt, 200)}` };
}

function lastTranscriptLine(prompt: string): string {
  const lines = prompt.split("\n").filter((line) => line.startsWith("user: "));
  return (lines.at(-1)?.slice("user: ".length) ?? prompt).trim();
}

function lastUserText(prompt: LanguageModelV3Prompt): string {
  for (let index = prompt.length - 1; index >= 0; index--) {
    const message = prompt[index];
    if (message?.role === "user") {
      return message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
    }
  }
  return "";
}

function offeredTool(options: LanguageModelV3CallOptions, name: string): LanguageModelV3FunctionTool | undefined {
  return options.tools?.find(
    (tool): tool is LanguageModelV3FunctionTool => tool.type === "function" && tool.name === name,
  );
}

/** Keeps only the fields the tool's JSON schema declares (when it declares any). */
function fitToSchema(input: Record<string, unknown>, tool: LanguageModelV3FunctionTool): Record<string, unknown> {
  const properties = (tool.inputSchema as { properties?: Record<string, unknown> }).properties;
  if (properties === undefined || Object.keys(properties).length === 0) return input;
  return Object.fromEntries(Object.entries(input).filter(([key]) => key in properties));
}

/**
 * A tool's result as a sentence, the way a model would report it: what was remembered, what
 * was found, which files are there, what a program printed. Anything else: its text, cut.
 */
export function describeToolResult(
  toolName: string,
  output: { type: string; value?: unknown; reason?: string },
): string {
  const text = outputText(output);
  if (output.type === "error-text" || output.type === "error-json")
    return `${toolName} failed: ${truncateChars(text, 400)}`;
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: a tool that answers in words is reported in its own words below.
  }
  const record = (value ?? {}) as Record<string, unknown>;
  switch (toolName) {
    case "memory_write":
      if (typeof record.content === "string") return `Remembered: ${truncateChars(record.content, 400)}`;
      break;
    case "memory_search":
      if (Array.isArray(value)) {
        const found = value
          .map((hit) => (hit as { content?: unknown }).content)
          .filter((content): content is string => typeof content === "string");
        return found.length === 0
          ? "I remember nothing about that."
          : `I remember: ${found.map((content) => truncateChars(content, 200)).join("; ")}`;
      }
      break;
    case "ls":
      if (Array.isArray(record.entries)) {
        const names = (record.entries as Array<{ name?: unknown; type?: unknown }>).map((entry) =>
          entry.type === "directory" ? `${String(entry.name)}/` : String(entry.name),
        );
        return names.length === 0
          ? `${String(record.path ?? ".")} is empty.`
          : `Files in ${String(record.path ?? ".")}: ${truncateChars(names.join(", "), 400)}`;
      }
      break;
    case "exec":
      if (typeof record.exitCode === "number" || typeof record.stdout === "string") {
        const printed = String(record.stdout ?? "").trim();
        return `It exited with ${String(record.exitCode)}${printed === "" ? " and printed nothing." : ` and printed: ${truncateChars(printed, 400)}`}`;
      }
      break;
  }
  return `${toolName}: ${truncateChars(text, 400)}`;
}

function outputText(output: { type: string; value?: unknown; reason?: string }): string {
  if (output.type === "text" || output.type === "error-text") return String(output.value);
  if (output.type === "json" || output.type === "error-json") return JSON.stringify(output.value);
  return output.reason ?? output.type;
}
