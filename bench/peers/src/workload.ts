/**
 * The workload every system runs: one agent with one `add` tool; each run is two model calls
 * (the model asks for `add`, then answers with text) and one tool call, against the scripted
 * OpenAI-compatible server (`FakeLlmServer`) the parent process runs.
 */
import type { FakeReply, FakeRequest } from "@oxios/runtime/testing";

export const PROMPT = "What is 2 + 3? Use the add tool.";
export const INSTRUCTIONS = "You are a calculator. Use the add tool to add numbers.";
export const ADD_DESCRIPTION = "Add two numbers and return their sum.";

export function add(a: number, b: number): number {
  return a + b;
}

/** The first call of a run asks for `add`; the call that carries the tool's result answers. */
export function reply(request: FakeRequest): FakeReply {
  const messages = request.body.messages ?? [];
  const answered = messages.some((message) => message.role === "tool");
  return answered ? { text: "2 + 3 = 5." } : { toolCalls: [{ name: "add", arguments: { a: 2, b: 3 } }] };
}

/** One system under test, created in its own child process. */
export interface System {
  /** One run of the workload; throws when it did not complete. */
  run(): Promise<void>;
  /** CPU time of the process doing the work, in ms (another process for the HTTP kernel). */
  cpuMs(): number;
  /** Resident set size of that process, in MB. */
  rssMb(): number;
  close(): Promise<void>;
}

export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

export function ownRssMb(): number {
  return process.memoryUsage().rss / 2 ** 20;
}
