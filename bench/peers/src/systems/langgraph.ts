/** LangGraph: the prebuilt `createReactAgent` with `ChatOpenAI`. */
import { tool } from "@langchain/core/tools";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { ChatOpenAI } from "@langchain/openai";
import { z } from "zod";
import { ADD_DESCRIPTION, add, INSTRUCTIONS, ownCpuMs, ownRssMb, PROMPT, type System } from "../workload.ts";

export async function createLangGraph(baseUrl: string): Promise<System> {
  const llm = new ChatOpenAI({ model: "fake", apiKey: "bench", configuration: { baseURL: baseUrl }, maxRetries: 0 });
  const addTool = tool(async ({ a, b }: { a: number; b: number }) => String(add(a, b)), {
    name: "add",
    description: ADD_DESCRIPTION,
    schema: z.object({ a: z.number(), b: z.number() }),
  });
  const agent = createReactAgent({ llm, tools: [addTool], prompt: INSTRUCTIONS });
  return {
    async run() {
      const result = await agent.invoke({ messages: [{ role: "user", content: PROMPT }] });
      if (result.messages.length < 4) throw new Error("langgraph: no answer");
    },
    cpuMs: ownCpuMs,
    rssMb: ownRssMb,
    close: async () => undefined,
  };
}
