import { systemClock } from "@oxios/core";
import { afterEach, describe, expect, it } from "vitest";
import { arrivalBarrier } from "./__fixtures__/arrival-barrier.ts";
import { AgentLoop } from "./agent-loop.ts";
import { CircuitBreakers } from "./circuit-breaker.ts";
import { resolveModel } from "./providers/resolve-model.ts";
import { FakeLlmServer } from "./testing/fake-llm-server.ts";
import { TokenBudgets } from "./token-budgets.ts";

let server: FakeLlmServer | undefined;
afterEach(async () => {
  await server?.close();
});

describe("AgentLoop parallelism", () => {
  it("20 concurrent runs put 20 requests in flight at once at the model (no global lock)", async () => {
    const arrive = arrivalBarrier(20);
    server = await FakeLlmServer.start({
      script: async () => {
        await arrive();
        return { text: "done" };
      },
    });
    const loop = new AgentLoop({
      model: resolveModel("openai-compatible/fake", { baseUrl: server.baseUrl }),
      clock: systemClock,
      breakers: new CircuitBreakers({ clock: systemClock }),
      budgets: new TokenBudgets(),
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        loop.run({ agentId: `agent-${index}`, seed: { goal: `task ${index}` } }),
      ),
    );
    expect(results.every((result) => result.text === "done")).toBe(true);
    expect(server.maxInFlight).toBe(20);
  });
});
