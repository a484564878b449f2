/** `@openai/agents`: `run(agent, prompt)` over the Chat Completions API. */
import { Agent, OpenAIChatCompletionsModel, run, setTracingDisabled, tool } from "@openai/agents";
import OpenAI from "openai";
import { z } from "zod";
import { ADD_DESCRIPTION, add, INSTRUCTIONS, ownCpuMs, ownRssMb, PROMPT, type System } from "../workload.ts";

export async function createOpenAiAgents(baseUrl: string): Promise<System> {
  setTracingDisabled(true);
  const client = new OpenAI({ baseURL: baseUrl, apiKey: "bench" });
  const agent = new Agent({
    name: "calculator",
    instructions: INSTRUCTIONS,
    model: new OpenAIChatCompletionsModel(client, "fake"),
    tools: [
      tool({
        name: "add",
        description: ADD_DESCRIPTION,
        parameters: z.object({ a: z.number(), b: z.number() }),
        execute: async ({ a, b }) => String(add(a, b)),
      }),
    ],
  });
  return {
    async run() {
      const result = await run(agent, PROMPT, { maxTurns: 2 });
      if (!result.finalOutput) throw new Error("openai agents: no answer");
    },
    cpuMs: ownCpuMs,
    rssMb: ownRssMb,
    close: async () => undefined,
  };
}
