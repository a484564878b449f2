import { KernelError, systemClock } from "@oxios/core";
import { afterEach, describe, expect, it } from "vitest";
import { AgentLoop } from "./agent-loop.ts";
import { CircuitBreakers } from "./circuit-breaker.ts";
import { resolveModel } from "./providers/resolve-model.ts";
import type { RunStep, StepJournal } from "./run-journal.ts";
import { FakeLlmServer } from "./testing/fake-llm-server.ts";
import { ScriptedToolExecutor } from "./testing/scripted-tool-executor.ts";
import { TokenBudgets } from "./token-budgets.ts";

let server: FakeLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * A journal whose writes become durable one event-loop turn after they were made (or fail,
 * for the kinds in `failing`), so a loop that acts before a step is durable is caught acting.
 */
function slowJournal(failing: ReadonlySet<RunStep["kind"]> = new Set()) {
  const written: Array<{ step: RunStep; durable: boolean }> = [];
  const journal: StepJournal = {
    steps: [],
    append(step) {
      const entry = { step, durable: false };
      written.push(entry);
      return new Promise<void>((resolve, reject) =>
        setImmediate(() => {
          if (failing.has(step.kind)) {
            reject(new KernelError("RUN_JOURNAL_FAILED", `the ${step.kind} step was not stored`));
            return;
          }
          entry.durable = true;
          resolve();
        }),
      );
    },
  };
  return { journal, written, allDurable: () => written.every((entry) => entry.durable) };
}

async function loopWith(tools: ScriptedToolExecutor) {
  server = await FakeLlmServer.start({
    script: [{ toolCalls: [{ name: "ls", arguments: {} }] }, { text: "one file" }],
  });
  return new AgentLoop({
    model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
    clock: systemClock,
    breakers: new CircuitBreakers({ clock: systemClock }),
    budgets: new TokenBudgets(),
    retry: { maxRetries: 0 },
    tools,
  });
}

describe("AgentLoop with a journal", () => {
  it("runs a tool only once its tool-call step and every step before it are durable, and returns once all are", async () => {
    const { journal, written, allDurable } = slowJournal();
    const seenByTool: boolean[] = [];
    const loop = await loopWith(
      new ScriptedToolExecutor({
        ls: {
          run: () => {
            seenByTool.push(allDurable());
            return "a.txt";
          },
        },
      }),
    );
    const result = await loop.run({ agentId: "a", seed: { goal: "list files" }, journal });
    expect(allDurable()).toBe(true);
    expect(seenByTool).toEqual([true]);
    expect(result).toMatchObject({ text: "one file", finishReason: "stop" });
    expect(written.map((entry) => entry.step.kind)).toEqual(["prompt", "model", "tool-call", "tool-result", "model"]);
  });

  it("a step written ahead that fails fails the run before any tool runs", async () => {
    const { journal } = slowJournal(new Set(["prompt"]));
    let ran = 0;
    const loop = await loopWith(new ScriptedToolExecutor({ ls: { run: () => String(++ran) } }));
    await expect(loop.run({ agentId: "a", seed: { goal: "list files" }, journal })).rejects.toMatchObject({
      code: "RUN_JOURNAL_FAILED",
    });
    expect(ran).toBe(0);
  });

  it("a tool call whose beforeToolCall hook revokes the lease does not run, though its tool-call step is durable", async () => {
    const { journal, written, allDurable } = slowJournal();
    const lease = new AbortController();
    let ran = 0;
    const durableAtHook: boolean[] = [];
    const executor = new ScriptedToolExecutor({ ls: { run: () => String(++ran) } });
    const loop = await loopWith(executor);
    const run = loop.run({
      agentId: "a",
      seed: { goal: "list files" },
      journal,
      signal: lease.signal,
      beforeToolCall: () => {
        durableAtHook.push(allDurable());
        lease.abort(new KernelError("SCHEDULER_TASK_INTERRUPTED", "this node could not renew its lease"));
      },
    });
    await expect(run).rejects.toMatchObject({ code: "SCHEDULER_TASK_INTERRUPTED" });
    expect(durableAtHook).toEqual([true]);
    // Not handed to the executor at all: a tool need not check the signal for the call not to run.
    expect(executor.calls).toEqual([]);
    expect(ran).toBe(0);
    // A resume sees the call as in flight (journalled, no result): it is not silently repeated.
    expect(written.map((entry) => entry.step.kind)).toEqual(["prompt", "model", "tool-call"]);
  });

  it("a final step that fails fails the run instead of reporting its answer", async () => {
    const { journal } = slowJournal(new Set(["tool-result"]));
    const loop = await loopWith(new ScriptedToolExecutor({ ls: { run: () => "a.txt" } }));
    await expect(loop.run({ agentId: "a", seed: { goal: "list files" }, journal })).rejects.toMatchObject({
      code: "RUN_JOURNAL_FAILED",
    });
  });
});
