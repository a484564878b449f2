import { systemClock } from "@oxios/core";
import { generateText } from "ai";
import { describe, expect, it } from "vitest";
import { AgentLoop } from "../agent-loop.ts";
import { CircuitBreakers } from "../circuit-breaker.ts";
import { ScriptedToolExecutor } from "../testing/scripted-tool-executor.ts";
import { TokenBudgets } from "../token-budgets.ts";
import { DEMO_LABEL, DemoLanguageModel, demoIntent, describeToolResult } from "./demo-model.ts";
import { resolveModel } from "./resolve-model.ts";

const schema = (properties: Record<string, unknown>) => ({ type: "object", properties });

function demoLoop() {
  const tools = new ScriptedToolExecutor({
    memory_write: { inputSchema: schema({ content: {}, type: {} }), run: (input) => `stored ${JSON.stringify(input)}` },
    memory_search: { inputSchema: schema({ query: {}, limit: {} }), run: () => "1 memory: the cat is called Mia" },
    ls: { inputSchema: schema({ path: {} }), run: () => "notes.md\nsrc/" },
    exec: { inputSchema: schema({ mode: {}, binary: {}, args: {} }), run: () => "exit 0: hello" },
  });
  const loop = new AgentLoop({
    model: resolveModel("demo"),
    clock: systemClock,
    breakers: new CircuitBreakers({ clock: systemClock }),
    budgets: new TokenBudgets(),
    tools,
  });
  return { tools, loop };
}

describe("demo model", () => {
  it.each([
    ["remember that the cat is called Mia", "memory_write", { content: "the cat is called Mia", type: "fact" }],
    ["what do you remember about the cat?", "memory_search", { query: "the cat", limit: 5 }],
    ["please list the files", "ls", { path: "." }],
    ["run `echo hello`", "exec", { mode: "structured", binary: "echo", args: ["hello"] }],
  ])("turns %j into a real %s call through the loop", async (message, tool, input) => {
    const { tools, loop } = demoLoop();
    const result = await loop.run({ agentId: "demo-agent", seed: { goal: message } });
    expect(tools.calls).toMatchObject([{ name: tool, input }]);
    expect(result.steps).toBe(2);
    expect(result.finishReason).toBe("stop");
    expect(result.text.startsWith(DEMO_LABEL)).toBe(true);
  });

  it("reports what the kernel's tools answered in words, not as their JSON", () => {
    const json = (value: unknown) => ({ type: "text", value: JSON.stringify(value) });
    expect(describeToolResult("memory_write", json({ id: "m1", content: "the cat is called Mia", type: "fact" }))).toBe(
      "Remembered: the cat is called Mia",
    );
    expect(
      describeToolResult("memory_search", json([{ id: "m1", content: "the cat is called Mia", score: 0.03 }])),
    ).toBe("I remember: the cat is called Mia");
    expect(describeToolResult("memory_search", json([]))).toBe("I remember nothing about that.");
    expect(
      describeToolResult(
        "ls",
        json({
          path: ".",
          entries: [
            { name: "notes.md", type: "file" },
            { name: "src", type: "directory" },
          ],
        }),
      ),
    ).toBe("Files in .: notes.md, src/");
    expect(describeToolResult("exec", json({ exitCode: 0, stdout: "hello\n", stderr: "" }))).toBe(
      "It exited with 0 and printed: hello",
    );
    expect(describeToolResult("exec", { type: "error-text", value: "EXEC_DENIED: not allowed" })).toBe(
      "exec failed: EXEC_DENIED: not allowed",
    );
    expect(describeToolResult("other", { type: "text", value: "plain words" })).toBe("other: plain words");
  });

  it("labels a plain chat reply as a demo and is deterministic", async () => {
    const model = new DemoLanguageModel();
    const first = await generateText({ model, prompt: "hello there" });
    const second = await generateText({ model, prompt: "hello there" });
    expect(first.text.startsWith(DEMO_LABEL)).toBe(true);
    expect(first.text).toBe(second.text);
    expect(first.toolCalls).toHaveLength(0);
  });

  it("does not call a tool the agent was not offered", async () => {
    const result = await generateText({ model: new DemoLanguageModel(), prompt: "list the files" });
    expect(result.toolCalls).toHaveLength(0);
    expect(result.text).toContain("not available");
  });

  it("recognises nothing in unrelated text", () => {
    expect(demoIntent("how are you")).toBeUndefined();
  });
});
