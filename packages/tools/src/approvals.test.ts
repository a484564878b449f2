import { ManualClock, settle } from "@oxios/core/testing";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApprovalBroker, type ApprovalDecision } from "./approvals.ts";

describe("ApprovalBroker", () => {
  it("settles every approval exactly once under any interleaving of answers, timeouts and aborts (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            timeoutMs: fc.integer({ min: 0, max: 100 }),
            steps: fc.array(
              fc.oneof(
                fc.record({ kind: fc.constant("approve" as const) }),
                fc.record({ kind: fc.constant("reject" as const) }),
                fc.record({ kind: fc.constant("abort" as const) }),
                fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 60 }) }),
              ),
              { maxLength: 6 },
            ),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        async (requests) => {
          const clock = new ManualClock(0);
          const publisher = new RecordingPublisher();
          const broker = new ApprovalBroker({ clock, publisher });
          const controllers = requests.map(() => new AbortController());
          const decisions: Array<ApprovalDecision | undefined> = requests.map(() => undefined);
          const settled = requests.map((request, index) =>
            broker
              .request({
                agentId: `a${index}`,
                tool: "exec",
                reason: "r",
                timeoutMs: request.timeoutMs,
                signal: controllers[index]?.signal,
              })
              .then((decision) => {
                decisions[index] = decision;
              }),
          );
          const ids = publisher.ofType("approval.requested").map((event) => event.payload.approvalId);
          const longest = Math.max(...requests.map((request) => request.steps.length));
          for (let step = 0; step < longest; step++) {
            for (const [index, request] of requests.entries()) {
              const action = request.steps[step];
              if (action === undefined) continue;
              if (action.kind === "approve") broker.resolve(ids[index] ?? "", { approved: true, by: "op" });
              if (action.kind === "reject") broker.resolve(ids[index] ?? "", { approved: false, by: "op" });
              if (action.kind === "abort") controllers[index]?.abort();
              if (action.kind === "advance") clock.advance(action.ms);
            }
          }
          clock.advance(1000);
          await Promise.all(settled);
          const resolved = publisher.ofType("approval.resolved");
          expect(resolved).toHaveLength(requests.length);
          expect(new Set(resolved.map((event) => event.payload.approvalId)).size).toBe(requests.length);
          expect(broker.pending()).toEqual([]);
          expect(clock.pendingTimers).toBe(0);
          for (const [index, decision] of decisions.entries()) {
            const event = resolved.find((candidate) => candidate.payload.approvalId === ids[index]);
            expect(decision?.approved).toBe(event?.payload.approved);
            if (decision?.approved) expect(decision.by).toBe("op");
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a late answer after the timeout is ignored and logged, and cannot approve", async () => {
    const clock = new ManualClock(0);
    const publisher = new RecordingPublisher();
    const broker = new ApprovalBroker({ clock, publisher });
    const decision = broker.request({ agentId: "a", tool: "exec", reason: "r", timeoutMs: 10 });
    clock.advance(10);
    await settle();
    expect(await decision).toMatchObject({ approved: false, by: "timeout" });
    const id = publisher.ofType("approval.requested")[0]?.payload.approvalId ?? "";
    expect(broker.resolve(id, { approved: true, by: "late" })).toBe(false);
    expect(publisher.ofType("approval.resolved")).toHaveLength(1);
    expect(() => broker.resolve(id, { approved: true, by: "timeout" })).toThrowError(
      expect.objectContaining({ code: "TOOL_APPROVAL_RESOLVER_INVALID" }),
    );
  });
});
