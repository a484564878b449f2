import { systemClock } from "@oxios/core";
import { afterEach, describe, expect, it } from "vitest";
import { CircuitBreakers } from "./circuit-breaker.ts";
import { ambiguity, type InterviewAnswer, interview } from "./interview.ts";
import { resolveModel } from "./providers/resolve-model.ts";
import { FakeLlmServer, type FakeReply } from "./testing/fake-llm-server.ts";

let server: FakeLlmServer | undefined;
afterEach(async () => {
  await server?.close();
});

const base: InterviewAnswer = {
  isTask: true,
  chatResponse: "",
  complexity: "simple",
  questions: [],
  clarity: { goal: 1, constraints: 1, criteria: 1 },
  goal: "write hello.txt",
  constraints: ["stay in the workspace"],
  acceptanceCriteria: ["hello.txt exists"],
};

async function run(script: FakeReply[], text = "please write hello.txt") {
  server = await FakeLlmServer.start({ script });
  const decision = await interview([{ role: "user", text }], {
    model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
    clock: systemClock,
    breakers: new CircuitBreakers({ clock: systemClock }),
    retry: { maxRetries: 0 },
  });
  return { decision, server };
}

describe("interview", () => {
  it("computes ambiguity = 1 − (0.4·goal + 0.3·constraints + 0.3·criteria)", () => {
    expect(ambiguity({ goal: 1, constraints: 1, criteria: 1 })).toBe(0);
    expect(ambiguity({ goal: 0.5, constraints: 1, criteria: 0 })).toBe(0.5);
    expect(ambiguity({ goal: 0, constraints: 0, criteria: 0 })).toBe(1);
  });

  it("returns a chat reply when the message is not a task", async () => {
    const { decision } = await run([{ json: { ...base, isTask: false, chatResponse: "Hello!" } }], "hi there");
    expect(decision).toMatchObject({ kind: "chat", reply: "Hello!" });
  });

  it("asks up to 3 clarifying questions when ambiguity is above 0.2", async () => {
    const answer = {
      ...base,
      complexity: "moderate",
      clarity: { goal: 0.6, constraints: 0.5, criteria: 0.5 },
      questions: ["Which file?", "What content?"],
    };
    const { decision } = await run([{ json: answer }]);
    expect(decision).toMatchObject({ kind: "questions", questions: ["Which file?", "What content?"] });
    expect(decision.ambiguity).toBeCloseTo(0.46);
  });

  it("writes a seed instead of asking again after 3 rounds of questions", async () => {
    const answer = {
      ...base,
      complexity: "moderate",
      clarity: { goal: 0.6, constraints: 0.5, criteria: 0.5 },
      questions: ["Which file?"],
    };
    const seed = { goal: "write hello.txt", constraints: [], acceptanceCriteria: ["hello.txt exists"] };
    server = await FakeLlmServer.start({ script: [{ json: answer }, { json: seed }] });
    const decision = await interview([{ role: "user", text: "do the thing" }], {
      model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
      clock: systemClock,
      breakers: new CircuitBreakers({ clock: systemClock }),
      retry: { maxRetries: 0 },
      questionRounds: 3,
    });
    expect(decision).toMatchObject({ kind: "seed", seed: { goal: "write hello.txt" }, seedCall: true });
    expect(server.requestCount).toBe(2);
  });

  it("makes a simple seed without a second model call when simple and ambiguity ≤ 0.3", async () => {
    const answer = { ...base, clarity: { goal: 0.9, constraints: 0.6, criteria: 0.6 } };
    const { decision, server } = await run([{ json: answer }]);
    expect(decision).toMatchObject({
      kind: "seed",
      seedCall: false,
      seed: { goal: "write hello.txt", acceptanceCriteria: ["hello.txt exists"] },
    });
    expect(decision.ambiguity).toBeCloseTo(0.28);
    expect(server.requestCount).toBe(1);
    expect(server.requests[0]?.body.response_format?.type).toBe("json_schema");
  });

  it("writes the seed with a second structured call for a clear complex task", async () => {
    const answer = { ...base, complexity: "complex" };
    const seed = { goal: "build the site", constraints: [], acceptanceCriteria: ["index.html exists", "links work"] };
    const { decision, server } = await run([{ json: answer }, { json: seed }]);
    expect(decision).toMatchObject({ kind: "seed", seedCall: true, seed });
    expect(server.requestCount).toBe(2);
  });

  it("rejects an empty message", async () => {
    await expect(run([], "   ")).rejects.toMatchObject({ code: "RUNTIME_MESSAGE_EMPTY" });
  });
});
