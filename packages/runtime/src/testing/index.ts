/**
 * @module @oxios/runtime/testing — a scripted OpenAI-compatible HTTP server for tests of
 * the runtime and of code built on it, and a small in-memory ToolExecutor / AgentMemoryPort /
 * RunJournal.
 */
export {
  type ChatCompletionBody,
  FakeLlmServer,
  type FakeLlmServerOptions,
  type FakeReply,
  type FakeRequest,
  type FakeResponder,
  type FakeToolCall,
  type FakeUsage,
  lastUserText,
} from "./fake-llm-server.ts";
export { InMemoryAgentMemoryPort, type InMemoryAgentMemoryPortOptions } from "./in-memory-agent-memory-port.ts";
export { InMemoryRunJournal } from "./in-memory-run-journal.ts";
export { type ScriptedTool, ScriptedToolExecutor } from "./scripted-tool-executor.ts";
