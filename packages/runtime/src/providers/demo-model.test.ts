import { systemClock } from "@oxios/core";
import { generateText } from "ai";
import { describe, expect, it } from "vitest";
import { AgentLoop } from "../agent-loop.ts";
import { CircuitBreakers } from "../circuit-breaker.ts";
import { ScriptedToolExecutor } from "../testing/scripted-tool-executor.ts";
import { TokenBudgets } from "../token-budgets.ts";
import { DEMO_LABEL, DemoLanguageModel, demoIntent } from "./demo-model.ts";
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
    expect(result.text).toContain(tool);
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
