/** Bare Vercel AI SDK: `generateText` with one tool and `stopWhen: stepCountIs(2)`. */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, stepCountIs, tool } from "ai";
import { z } from "zod";
import { ADD_DESCRIPTION, add, INSTRUCTIONS, ownCpuMs, ownRssMb, PROMPT, type System } from "../workload.ts";

export async function createAiSdk(baseUrl: string): Promise<System> {
  const model = createOpenAICompatible({ name: "fake", baseURL: baseUrl, apiKey: "bench" }).chatModel("fake");
  const tools = {
    add: tool({
      description: ADD_DESCRIPTION,
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      execute: async ({ a, b }) => add(a, b),
    }),
  };
  return {
    async run() {
      const result = await generateText({
        model,
        system: INSTRUCTIONS,
        prompt: PROMPT,
        tools,
        stopWhen: stepCountIs(2),
      });
      if (result.text === "") throw new Error("ai sdk: no answer");
    },
    cpuMs: ownCpuMs,
    rssMb: ownRssMb,
    close: async () => undefined,
  };
}
