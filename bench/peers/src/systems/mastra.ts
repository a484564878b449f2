/** Mastra: `Agent.generate` with `maxSteps: 2`; Mastra 0.24 takes an AI SDK v5 model (provider v1). */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible-v1";
import { Agent } from "@mastra/core/agent";
import { createTool } from "@mastra/core/tools";
import { z } from "zod";
import { ADD_DESCRIPTION, add, INSTRUCTIONS, ownCpuMs, ownRssMb, PROMPT, type System } from "../workload.ts";

export async function createMastra(baseUrl: string): Promise<System> {
  const model = createOpenAICompatible({ name: "fake", baseURL: baseUrl, apiKey: "bench" }).chatModel("fake");
  const agent = new Agent({
    name: "calculator",
    instructions: INSTRUCTIONS,
    model,
    tools: {
      add: createTool({
        id: "add",
        description: ADD_DESCRIPTION,
        inputSchema: z.object({ a: z.number(), b: z.number() }),
        execute: async ({ context }) => ({ sum: add(context.a, context.b) }),
      }),
    },
  });
  return {
    async run() {
      const result = await agent.generate(PROMPT, { maxSteps: 2 });
      if (result.text === "") throw new Error("mastra: no answer");
    },
    cpuMs: ownCpuMs,
    rssMb: ownRssMb,
    close: async () => undefined,
  };
}
