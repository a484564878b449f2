import type { LanguageModelV3Message } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { compactionCallOptions, contentText, stepCallOptions, transcriptText } from "./model-step.ts";

const turn: LanguageModelV3Message[] = [
  { role: "assistant", content: [{ type: "tool-call", toolCallId: "c1", toolName: "ls", input: { path: "." } }] },
  {
    role: "tool",
    content: [
      { type: "tool-result", toolCallId: "c1", toolName: "ls", output: { type: "text", value: "x".repeat(5_000) } },
    ],
  },
  { role: "assistant", content: [{ type: "text", text: "done" }] },
];

describe("model step conversions", () => {
  it("writes a transcript with each call's input and each result cut to 2,000 characters", () => {
    const lines = transcriptText(turn).split("\n");
    expect(lines[0]).toBe('assistant: [call ls {"path":"."}]');
    expect(lines[1]?.startsWith("tool: [result ls: ")).toBe(true);
    expect(lines[1]?.length).toBeLessThan(2_100);
    expect(lines[2]).toBe("assistant: done");
  });

  it("offers tools only when there are some, and asks the model to choose", () => {
    const signal = new AbortController().signal;
    const settings = { temperature: 0.5, maxOutputTokens: 100, signal };
    expect(stepCallOptions([], [], settings)).not.toHaveProperty("tools");
    const tool = {
      type: "function" as const,
      name: "ls",
      description: "list",
      inputSchema: { type: "object" as const },
    };
    expect(stepCallOptions([], [tool], settings)).toMatchObject({ tools: [tool], toolChoice: { type: "auto" } });
  });

  it("asks for a summary of the older messages at temperature 0 and joins the answer's text parts", () => {
    const options = compactionCallOptions(turn, new AbortController().signal);
    expect(options.temperature).toBe(0);
    expect(JSON.stringify(options.prompt)).toContain("[call ls");
    expect(
      contentText([
        { type: "text", text: " first " },
        { type: "reasoning", text: "hidden" },
        { type: "text", text: "second " },
      ]),
    ).toBe("first second");
  });
});
