/**
 * The systems under test, by name, in the order a round runs them. Each is imported only in
 * the child that runs it, so no system's RSS includes another's modules.
 */
import type { System } from "../workload.ts";

export interface SystemEntry {
  label: string;
  create(baseUrl: string): Promise<System>;
}

export const SYSTEMS: Record<string, SystemEntry> = {
  "ai-sdk": {
    label: "bare `generateText` + `stopWhen: stepCountIs(2)` (ai 6.0.325)",
    create: async (baseUrl) => (await import("./ai-sdk.ts")).createAiSdk(baseUrl),
  },
  "openai-agents": {
    label: "`@openai/agents` 0.14.3 `run()`",
    create: async (baseUrl) => (await import("./openai-agents.ts")).createOpenAiAgents(baseUrl),
  },
  langgraph: {
    label: "LangGraph 1.7.3 `createReactAgent`",
    create: async (baseUrl) => (await import("./langgraph.ts")).createLangGraph(baseUrl),
  },
  mastra: {
    label: "Mastra 0.24.9 `Agent.generate`",
    create: async (baseUrl) => (await import("./mastra.ts")).createMastra(baseUrl),
  },
  "oxios-in-process": {
    label: "Oxios `runGoal` in-process, the kernel's own wiring",
    create: async (baseUrl) => (await import("./oxios-in-process.ts")).createOxiosInProcess(baseUrl),
  },
  "ai-sdk-http": {
    label: "bare AI SDK behind `node:http` (the same `POST` + long poll as Oxios over HTTP)",
    create: async (baseUrl) => (await import("./ai-sdk-http.ts")).createAiSdkHttp(baseUrl),
  },
  "oxios-http": {
    label: "Oxios over HTTP (`POST /api/runs` + long poll)",
    create: async (baseUrl) => (await import("./oxios-http.ts")).createOxiosHttp(baseUrl),
  },
  "oxios-in-process-all-tools": {
    label: "Oxios `runGoal` in-process, no profile: every built-in tool in each request",
    create: async (baseUrl) => (await import("./oxios-in-process.ts")).createOxiosInProcess(baseUrl, true),
  },
  "oxios-http-all-tools": {
    label: "Oxios over HTTP, no profile: every built-in tool in each request",
    create: async (baseUrl) => (await import("./oxios-http.ts")).createOxiosHttp(baseUrl, true),
  },
};

export const BASELINE = "ai-sdk";
