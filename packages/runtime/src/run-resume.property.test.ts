import { systemClock } from "@oxios/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentLoop, type AgentRunResult, TOOL_OUTCOME_UNKNOWN } from "./agent-loop.ts";
import { CircuitBreakers } from "./circuit-breaker.ts";
import { resolveModel } from "./providers/resolve-model.ts";
import type { RunStep } from "./run-journal.ts";
import { FakeLlmServer, type FakeReply, type FakeRequest } from "./testing/fake-llm-server.ts";
import { ScriptedToolExecutor } from "./testing/scripted-tool-executor.ts";
import { TokenBudgets } from "./token-budgets.ts";

/**
 * A crash can cut a run's step log after any write. Whatever the prefix, the run resumed from
 * it must reach the same final transcript as an uninterrupted run of the same scripted model —
 * with no journalled tool result executed again — and a non-idempotent call that was in flight
 * must never run twice.
 */

type Call = { tool: "look" | "poke"; tag: string };
type Script = Call[][];

let server: FakeLlmServer;
let script: Script = [];
/** Fresh call ids for every request (a real model's), instead of ids that follow from the request. */
let freshIds = false;

/** The turn the model is on: one past the last `turn<N>` marker in what it was sent. */
function turnOf(request: FakeRequest): number {
  const markers = [...JSON.stringify(request.body.messages ?? []).matchAll(/turn(\d+)/g)].map((match) =>
    Number(match[1]),
  );
  return markers.length === 0 ? 0 : Math.max(...markers) + 1;
}

function respond(request: FakeRequest): FakeReply {
  const turn = turnOf(request);
  const system = JSON.stringify(request.body.messages?.[0] ?? "");
  if (system.includes("Summarize the work so far")) return { text: `summary through turn${turn - 1}` };
  const calls = script[turn];
  if (calls === undefined) return { text: `final answer after ${turn} turns` };
  // Ids follow from what the model was sent: the same request gets the same ids, a turn the
  // model repeats (after an unknown outcome) gets new ones.
  const seen = freshIds ? `r${request.index}` : hash(JSON.stringify(request.body.messages ?? []));
  return {
    toolCalls: calls.map((call, index) => ({
      id: `t${turn}c${index}h${seen}`,
      name: call.tool,
      arguments: { turn, tag: call.tag },
    })),
  };
}

function hash(text: string): string {
  let value = 5381;
  for (let index = 0; index < text.length; index++) value = ((value * 33) ^ text.charCodeAt(index)) >>> 0;
  return value.toString(36);
}

beforeAll(async () => {
  server = await FakeLlmServer.start({ script: respond });
});
afterAll(async () => {
  await server.close();
});

interface Attempt {
  result: AgentRunResult;
  steps: RunStep[];
  /** Tool executions by call id. */
  executed: string[];
  /** The messages of every model request this attempt made. */
  requests: string[];
}

async function attempt(prefix: RunStep[], pokeIsIdempotent: boolean): Promise<Attempt> {
  const executed: string[] = [];
  const tool = (name: string) => ({
    idempotent: name === "look" || pokeIsIdempotent,
    run: (input: unknown) => {
      const { turn, tag } = input as { turn: number; tag: string };
      return `${name}:${tag}:turn${turn}`;
    },
  });
  const tools = new ScriptedToolExecutor({ look: tool("look"), poke: tool("poke") });
  const clock = systemClock;
  const loop = new AgentLoop({
    model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
    clock,
    breakers: new CircuitBreakers({ clock }),
    budgets: new TokenBudgets(),
    tools,
    retry: { maxRetries: 0 },
  });
  const steps = [...prefix];
  const firstRequest = server.requests.length;
  const result = await loop.run({
    agentId: "agent",
    runId: "run",
    seed: { goal: "walk the script" },
    maxSteps: 12,
    contextWindow: 200,
    journal: {
      steps: prefix,
      append: async (step) => {
        steps.push(structuredClone(step));
      },
    },
  });
  for (const call of tools.calls) executed.push(call.callId);
  const requests = server.requests
    .slice(firstRequest)
    .map((request) => JSON.stringify(request.body.messages))
    .filter((messages) => !messages.includes("Summarize the work so far"));
  return { result, steps, executed, requests };
}

const withoutMarks = (steps: RunStep[]) => steps.filter((step) => step.kind !== "tool-call");
const results = (steps: RunStep[]) =>
  new Set(steps.flatMap((step) => (step.kind === "tool-result" ? [step.callId] : [])));
const marks = (steps: RunStep[]) => new Set(steps.flatMap((step) => (step.kind === "tool-call" ? [step.callId] : [])));

const scripts = fc.array(
  fc.array(
    fc.record({ tool: fc.constantFrom("look" as const, "poke" as const), tag: fc.stringMatching(/^[a-e]{1,4}$/) }),
    { minLength: 1, maxLength: 2 },
  ),
  { maxLength: 3 },
);

describe("resuming a run from any prefix of its step log (fast-check)", () => {
  it("idempotent tools: the same final transcript, and no journalled result executed again", async () => {
    freshIds = false;
    let compacted = 0;
    await fc.assert(
      fc.asyncProperty(scripts, async (generated) => {
        script = generated;
        const whole = await attempt([], true);
        if (whole.result.compactions > 0) compacted++;
        for (let cut = 0; cut <= whole.steps.length; cut++) {
          const prefix = whole.steps.slice(0, cut);
          const resumed = await attempt(prefix, true);
          expect(resumed.result).toEqual(whole.result);
          expect(withoutMarks(resumed.steps)).toEqual(withoutMarks(whole.steps));
          const done = results(prefix);
          expect(resumed.executed.filter((callId) => done.has(callId))).toEqual([]);
          // The model is sent exactly what the uninterrupted run sent at the same turns.
          expect(resumed.requests).toEqual(whole.requests.slice(whole.requests.length - resumed.requests.length));
        }
      }),
      { numRuns: 8 },
    );
    expect(compacted).toBeGreaterThan(0);
  });

  it("a non-idempotent call in flight at the cut is never run again; the model is told its outcome is unknown", async () => {
    // A model repeating a turn after an unknown outcome sends new call ids, as a real one does.
    freshIds = true;
    await fc.assert(
      fc.asyncProperty(scripts, async (generated) => {
        script = generated;
        const whole = await attempt([], false);
        for (let cut = 0; cut <= whole.steps.length; cut++) {
          const prefix = whole.steps.slice(0, cut);
          const resumed = await attempt(prefix, false);
          const inFlight = [...marks(prefix)].filter((callId) => !results(prefix).has(callId));
          const startedBefore = marks(prefix);
          const pokes = new Set(
            whole.steps.flatMap((step) => (step.kind === "tool-call" && step.name === "poke" ? [step.callId] : [])),
          );
          // At most once: a poke started before the cut never runs again.
          expect(resumed.executed.filter((callId) => pokes.has(callId) && startedBefore.has(callId))).toEqual([]);
          for (const callId of inFlight) {
            const outcome = resumed.steps.find(
              (step): step is Extract<RunStep, { kind: "tool-result" }> =>
                step.kind === "tool-result" && step.callId === callId,
            )?.outcome;
            if (pokes.has(callId)) expect(outcome).toMatchObject({ ok: false, errorCode: TOOL_OUTCOME_UNKNOWN });
            else expect(resumed.executed).toContain(callId);
          }
          // Journalled results are never executed again, idempotent or not.
          expect(resumed.executed.filter((callId) => results(prefix).has(callId))).toEqual([]);
          expect(resumed.result.finishReason === "stop" || resumed.result.finishReason === "max-steps").toBe(true);
        }
      }),
      { numRuns: 8 },
    );
  });
});
