/**
 * @module @oxios/runtime/testing — a scripted OpenAI-compatible HTTP server for tests of
 * the runtime and of code built on it, and a small in-memory ToolExecutor / MemoryPort /
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
export { InMemoryMemoryPort, type InMemoryMemoryPortOptions } from "./in-memory-memory-port.ts";
export { InMemoryRunJournal } from "./in-memory-run-journal.ts";
export { type ScriptedTool, ScriptedToolExecutor } from "./scripted-tool-executor.ts";
