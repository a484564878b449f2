import { ManualClock, settle } from "@oxios/core/testing";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApprovalBroker, type ApprovalDecision, InMemoryApprovalStore } from "./approvals.ts";

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

  it("records the approval with its call, and a decision once: deciding it again is TOOL_APPROVAL_ALREADY_DECIDED", async () => {
    const clock = new ManualClock(1_000);
    const publisher = new RecordingPublisher();
    const store = new InMemoryApprovalStore();
    const broker = new ApprovalBroker({ clock, publisher, store });
    const decision = broker.request({
      agentId: "a1",
      tool: "exec",
      reason: "shell",
      timeoutMs: 60_000,
      input: { command: "make release" },
      callId: "c1",
      runId: "run-1",
      profile: "release-notes",
    });
    const [pending] = broker.list({ status: "pending" });
    expect(pending).toMatchObject({
      agentId: "a1",
      tool: "exec",
      input: { command: "make release" },
      callId: "c1",
      runId: "run-1",
      profile: "release-notes",
      requestedAt: 1_000,
      deadlineAt: 61_000,
      defaultDecision: "reject",
      status: "pending",
    });
    const id = pending?.approvalId ?? "";
    clock.advance(5);
    expect(broker.decide(id, { approved: true, by: "operator:alice", reason: "ok" })).toMatchObject({
      status: "approved",
      decidedBy: "operator:alice",
      decidedAt: 1_005,
      decisionReason: "ok",
    });
    expect(await decision).toEqual({ approvalId: id, approved: true, by: "operator:alice", reason: "ok" });
    expect(() => broker.decide(id, { approved: false, by: "bob" })).toThrowError(
      expect.objectContaining({
        code: "TOOL_APPROVAL_ALREADY_DECIDED",
        details: expect.objectContaining({ status: "approved", decidedBy: "operator:alice" }),
      }),
    );
    expect(() => broker.decide("nope", { approved: true, by: "bob" })).toThrowError(
      expect.objectContaining({ code: "TOOL_APPROVAL_NOT_FOUND" }),
    );
    expect(publisher.ofType("approval.resolved")).toHaveLength(1);
    expect(store.get(id)?.status).toBe("approved");
  });

  it("applies the default decision at the deadline: approve when so configured", async () => {
    const clock = new ManualClock(0);
    const publisher = new RecordingPublisher();
    const broker = new ApprovalBroker({ clock, publisher });
    const decision = broker.request({
      agentId: "a",
      tool: "write",
      reason: "r",
      timeoutMs: 100,
      defaultDecision: "approve",
    });
    clock.advance(99);
    expect(broker.pending()).toHaveLength(1);
    clock.advance(1);
    expect(await decision).toMatchObject({ approved: true, by: "timeout" });
    expect(broker.list()[0]).toMatchObject({ status: "expired", decidedBy: "timeout", defaultDecision: "approve" });
  });

  it("cancels the approvals a previous process left pending in a shared store", async () => {
    const store = new InMemoryApprovalStore();
    const clock = new ManualClock(0);
    const before = new ApprovalBroker({ clock, publisher: new RecordingPublisher(), store });
    const abandoned = before.request({ agentId: "a", tool: "exec", reason: "r", timeoutMs: 1_000 });
    const after = new ApprovalBroker({ clock, publisher: new RecordingPublisher(), store });
    const interrupted = after.recoverInterrupted();
    expect(interrupted).toEqual([expect.objectContaining({ status: "cancelled", decidedBy: "restart" })]);
    expect(() => after.decide(interrupted[0]?.approvalId ?? "", { approved: true, by: "op" })).toThrowError(
      expect.objectContaining({ code: "TOOL_APPROVAL_ALREADY_DECIDED" }),
    );
    clock.advance(1_000);
    expect(await abandoned).toMatchObject({ approved: false, by: "timeout" });
  });

  it("keeps the approval of a run that resumes across a restart: the resumed call waits on that same approval", async () => {
    const store = new InMemoryApprovalStore();
    const call = { agentId: "a", tool: "write", reason: "r", timeoutMs: 1_000 };
    const beforeClock = new ManualClock(0);
    const before = new ApprovalBroker({ clock: beforeClock, publisher: new RecordingPublisher(), store });
    const abandoned = [
      before.request({ ...call, runId: "run-1", callId: "c1", input: { path: "x" } }),
      before.request({ ...call, runId: "run-2", callId: "c1" }),
      before.request({ ...call, runId: "run-3", callId: "c1" }),
    ];
    const [kept] = store.list({ status: "pending", limit: 10 }).filter((record) => record.runId === "run-1");

    const clock = new ManualClock(400);
    const publisher = new RecordingPublisher();
    const after = new ApprovalBroker({ clock, publisher, store });
    const cancelled = after.recoverInterrupted({ resuming: (runId) => runId !== "run-3" });
    expect(cancelled).toEqual([expect.objectContaining({ runId: "run-3", status: "cancelled", decidedBy: "restart" })]);
    expect(
      after
        .pending()
        .map((pending) => pending.approvalId)
        .sort(),
    ).toHaveLength(2);
    expect(after.restoredCall("run-1", "c1")).toBe(true);
    expect(after.restoredCall("run-1", "c2")).toBe(false);

    // The resumed run asks again for the same call: no second approval, the same id.
    const resumed = after.request({ ...call, runId: "run-1", callId: "c1", timeoutMs: 60_000 });
    expect(after.restoredCall("run-1", "c1")).toBe(false);
    expect(store.list({ limit: 10 })).toHaveLength(3);
    expect(publisher.ofType("approval.requested")).toHaveLength(0);
    after.decide(kept?.approvalId ?? "", { approved: true, by: "operator:alice" });
    expect(await resumed).toMatchObject({ approvalId: kept?.approvalId, approved: true, by: "operator:alice" });

    // Decided before its run asked again: the request gets that decision at once.
    const [other] = store.list({ status: "pending", limit: 10 });
    after.decide(other?.approvalId ?? "", { approved: false, by: "operator:bob", reason: "no" });
    expect(await after.request({ ...call, runId: "run-2", callId: "c1" })).toMatchObject({
      approvalId: other?.approvalId,
      approved: false,
      by: "operator:bob",
    });
    // The process that stopped never answers its own callers.
    beforeClock.advance(1_000);
    await Promise.all(abandoned);
  });

  it("a kept approval gets its default decision at its original deadline, and is cancelled when its run does not resume", async () => {
    const store = new InMemoryApprovalStore();
    const call = { agentId: "a", tool: "write", reason: "r", timeoutMs: 1_000, defaultDecision: "approve" as const };
    const beforeClock = new ManualClock(0);
    const before = new ApprovalBroker({ clock: beforeClock, publisher: new RecordingPublisher(), store });
    const abandoned = [
      before.request({ ...call, runId: "run-1", callId: "c1" }),
      before.request({ ...call, runId: "run-2", callId: "c1" }),
    ];

    const clock = new ManualClock(400);
    const after = new ApprovalBroker({ clock, publisher: new RecordingPublisher(), store });
    expect(after.recoverInterrupted({ resuming: () => true })).toEqual([]);
    expect(after.cancelRestored("run-2")).toBe(1);
    expect(after.restoredCall("run-2", "c1")).toBe(false);
    const resumed = after.request({ ...call, runId: "run-1", callId: "c1", timeoutMs: 60_000 });
    clock.advance(599);
    expect(after.pending()).toHaveLength(1);
    clock.advance(1);
    expect(await resumed).toMatchObject({ approved: true, by: "timeout" });
    expect(
      store
        .list({ limit: 10 })
        .map((record) => `${record.runId}:${record.status}`)
        .sort(),
    ).toEqual(["run-1:expired", "run-2:cancelled"]);
    beforeClock.advance(1_000);
    await Promise.all(abandoned);
  });

  it("the in-memory store keeps every pending record and the newest decided ones", () => {
    const store = new InMemoryApprovalStore({ retain: 2 });
    const base = { agentId: "a", tool: "t", reason: "r", deadlineAt: 0, defaultDecision: "reject" as const };
    store.insert({ ...base, approvalId: "p", requestedAt: 0, status: "pending" });
    for (let index = 1; index <= 4; index++) {
      store.insert({ ...base, approvalId: `d${index}`, requestedAt: index, status: "rejected" });
    }
    expect(store.list({ limit: 10 }).map((record) => record.approvalId)).toEqual(["d4", "d3", "p"]);
  });
});
