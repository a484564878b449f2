import { KernelError } from "@oxios/core";
import { createMemoryLogger, ManualClock, settle } from "@oxios/core/testing";
import { EventBus } from "@oxios/event-bus";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import { Scheduler } from "@oxios/scheduler";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AgentContext } from "./agent.ts";
import { Supervisor } from "./supervisor.ts";

function setup(options: { maxConcurrent?: number; killGraceMs?: number } = {}) {
  const clock = new ManualClock(0);
  const events = new RecordingPublisher();
  const logger = createMemoryLogger();
  const scheduler = new Scheduler({
    clock,
    maxConcurrent: options.maxConcurrent ?? 5,
    ratePerMinute: 1_000_000,
    logger,
  });
  const supervisor = new Supervisor({ scheduler, clock, events, logger, killGraceMs: options.killGraceMs ?? 50 });
  return { clock, events, logger, scheduler, supervisor };
}

/** An agent body that waits for the test to finish it, honouring its signal. */
function gate() {
  let release: (value: string) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const seen: AgentContext[] = [];
  const run = (_input: unknown, context: AgentContext) =>
    new Promise<string>((resolve, reject) => {
      seen.push(context);
      release = resolve;
      fail = reject;
      context.signal.addEventListener("abort", () => reject(context.signal.reason));
    });
  return { run, seen, release: (value: string) => release(value), fail: (error: Error) => fail(error) };
}

describe("Supervisor", () => {
  it("spawns, runs through the scheduler and returns to idle", async () => {
    const { supervisor, events, scheduler } = setup();
    const agent = supervisor.spawn({ name: "echo", run: async (input: string) => `echo ${input}` });
    expect(agent.status).toBe("idle");
    await expect(supervisor.run(agent.id, "hi")).resolves.toBe("echo hi");
    expect(supervisor.get(agent.id)).toMatchObject({ status: "idle", runs: 1 });
    expect(events.types()).toEqual(["agent.created", "agent.started", "agent.completed"]);
    expect(scheduler.stats().completed).toBe(1);
  });

  it("a chosen agent id, run id, idempotency key and profile reach the agent and its scheduler task", async () => {
    const { supervisor, scheduler } = setup();
    const body = gate();
    const agent = supervisor.spawn({ id: "agent-7", name: "chosen", profile: "researcher", run: body.run });
    expect(agent.id).toBe("agent-7");
    expect(() => supervisor.spawn({ id: "agent-7", name: "again", run: body.run })).toThrow(
      expect.objectContaining({ code: "AGENT_SPEC_INVALID" }),
    );
    const running = supervisor.run(agent.id, null, { runId: "task-7", idempotencyKey: "key-7" });
    await settle();
    expect(body.seen[0]?.runId).toBe("task-7");
    expect(scheduler.get("task-7")).toMatchObject({
      agentId: "agent-7",
      profile: "researcher",
      idempotencyKey: "key-7",
      status: "running",
    });
    body.release("done");
    await expect(running).resolves.toBe("done");
  });

  it("marks a run id as fresh for the scheduler when it made the id or its caller says it made it just now", async () => {
    const { supervisor, scheduler } = setup();
    const specs: Array<{ id?: string; freshId?: boolean }> = [];
    const run = scheduler.run.bind(scheduler);
    scheduler.run = ((spec, fn) => {
      specs.push({ id: spec.id, freshId: spec.freshId });
      return run(spec, fn);
    }) as typeof scheduler.run;
    const agent = supervisor.spawn({ name: "echo", run: async () => "ok" });
    await supervisor.run(agent.id, null);
    await supervisor.run(agent.id, null, { runId: "made-now", freshRunId: true });
    await supervisor.run(agent.id, null, { runId: "chosen" });
    expect(specs.map((spec) => spec.freshId)).toEqual([true, true, undefined]);
    expect(specs.slice(1).map((spec) => spec.id)).toEqual(["made-now", "chosen"]);
  });

  it("runLeased runs inside a lease the scheduler already granted; kill aborts it through that task", async () => {
    const { supervisor, scheduler, events } = setup({ maxConcurrent: 1 });
    const task = scheduler.submit({ id: "recovered" });
    const lease = await task.admitted;
    const body = gate();
    const agent = supervisor.spawn({ name: "heir", run: body.run });
    const running = supervisor.runLeased(agent.id, null, lease);
    await settle();
    expect(body.seen[0]?.runId).toBe("recovered");
    expect(supervisor.get(agent.id)?.status).toBe("running");
    await supervisor.kill(agent.id, "stop");
    await expect(running).rejects.toMatchObject({ code: "AGENT_KILLED" });
    expect(lease.signal.aborted).toBe(true);
    expect(events.types()).toEqual(["agent.created", "agent.started", "agent.stopped"]);
    scheduler.fail("recovered", new KernelError("AGENT_KILLED", "stop"));
  });

  it("kill during a run fires the agent's signal, settles the run and frees the scheduler slot", async () => {
    const { supervisor, scheduler } = setup();
    const body = gate();
    const agent = supervisor.spawn({ name: "long", run: body.run });
    const running = supervisor.run(agent.id, null);
    await settle();
    expect(scheduler.running()).toHaveLength(1);
    const killed = supervisor.kill(agent.id, "user asked");
    await expect(running).rejects.toMatchObject({ code: "AGENT_KILLED" });
    await killed;
    expect(body.seen[0]?.signal.aborted).toBe(true);
    expect(supervisor.get(agent.id)?.status).toBe("stopped");
    expect(scheduler.running()).toHaveLength(0);
  });

  it("kill of a queued run cancels it before it starts", async () => {
    const { supervisor, scheduler } = setup({ maxConcurrent: 1 });
    const first = gate();
    const blocker = supervisor.spawn({ name: "blocker", run: first.run });
    const waiting = supervisor.spawn({ name: "waiting", run: async () => "never" });
    const blocking = supervisor.run(blocker.id, null);
    const queued = supervisor.run(waiting.id, null);
    await settle();
    expect(scheduler.queued()).toHaveLength(1);
    await supervisor.kill(waiting.id, "not needed");
    await expect(queued).rejects.toMatchObject({ code: "AGENT_KILLED" });
    expect(scheduler.queued()).toHaveLength(0);
    first.release("done");
    await expect(blocking).resolves.toBe("done");
  });

  it("a caller's abort cancels a queued run at once: it never starts and takes no slot and no rate token", async () => {
    const clock = new ManualClock(0);
    const events = new RecordingPublisher();
    // Two tokens and no refill on the manual clock: a third admission would have to wait.
    const scheduler = new Scheduler({ clock, maxConcurrent: 1, ratePerMinute: 2 });
    const supervisor = new Supervisor({ scheduler, clock, events, killGraceMs: 50 });
    const first = gate();
    let started = 0;
    const blocker = supervisor.spawn({ name: "blocker", run: first.run });
    const waiting = supervisor.spawn({
      name: "waiting",
      run: async () => {
        started += 1;
        return "ran";
      },
    });
    const later = supervisor.spawn({ name: "later", run: async () => "later" });
    const blocking = supervisor.run(blocker.id, null);
    const caller = new AbortController();
    let outcome: unknown;
    const queued = supervisor.run(waiting.id, null, { signal: caller.signal }).catch((error: unknown) => {
      outcome = error;
    });
    await settle();
    expect(scheduler.queued().map((task) => task.agentId)).toEqual([waiting.id]);
    caller.abort(new Error("client went away"));
    await settle();
    // Settled at once, while the blocker still holds the only slot.
    expect(outcome).toMatchObject({ code: "ABORTED", message: "client went away" });
    await queued;
    expect(scheduler.queued()).toHaveLength(0);
    expect(supervisor.get(waiting.id)).toMatchObject({ status: "failed", lastError: { code: "ABORTED" } });
    first.release("done");
    await expect(blocking).resolves.toBe("done");
    // The second token is still there for the next run: the cancelled run took none.
    await expect(supervisor.run(later.id, null)).resolves.toBe("later");
    expect(started).toBe(0);
    expect(scheduler.stats()).toMatchObject({ admitted: 2, cancelled: 1 });
    expect(events.ofType("agent.started").map((event) => event.payload.agentId)).toEqual([blocker.id, later.id]);
  });

  it("a caller's signal that has already aborted refuses the run without submitting it", async () => {
    const { supervisor, scheduler } = setup();
    let started = 0;
    const agent = supervisor.spawn({
      name: "late",
      run: async () => {
        started += 1;
      },
    });
    const caller = new AbortController();
    caller.abort();
    await expect(supervisor.run(agent.id, null, { signal: caller.signal })).rejects.toMatchObject({ code: "ABORTED" });
    expect(started).toBe(0);
    expect(scheduler.stats().submitted).toBe(0);
  });

  it("a caller's abort aborts a running run; the slot is freed once the function honours it", async () => {
    const { supervisor, scheduler } = setup();
    const body = gate();
    const agent = supervisor.spawn({ name: "streaming", run: body.run });
    const caller = new AbortController();
    const running = supervisor.run(agent.id, null, { signal: caller.signal });
    await settle();
    expect(scheduler.running()).toHaveLength(1);
    caller.abort();
    await expect(running).rejects.toMatchObject({ code: "ABORTED" });
    expect(body.seen[0]?.signal.aborted).toBe(true);
    expect(scheduler.running()).toHaveLength(0);
  });

  it.each(["kill", "caller abort"])(
    "a %s landing between admission and start (a synchronous task.admitted listener) never runs the function",
    async (how) => {
      const clock = new ManualClock(0);
      const bus = new EventBus();
      const scheduler = new Scheduler({ clock, events: bus, ratePerMinute: 1_000_000 });
      const supervisor = new Supervisor({ scheduler, clock, events: bus, killGraceMs: 50 });
      let started = 0;
      const agent = supervisor.spawn({
        name: "doomed",
        run: async () => {
          started += 1;
          return "ran";
        },
      });
      const caller = new AbortController();
      const kills: Array<Promise<unknown>> = [];
      bus.on("task.admitted", () => {
        if (how === "kill") kills.push(supervisor.kill(agent.id, "changed my mind"));
        else caller.abort();
      });
      const outcome = await supervisor
        .run(agent.id, null, { signal: caller.signal })
        .catch((error: KernelError) => error);
      await Promise.all(kills);
      expect(outcome).toMatchObject({ code: how === "kill" ? "AGENT_KILLED" : "ABORTED" });
      expect(started).toBe(0);
      expect(supervisor.stats().runsStarted).toBe(0);
      expect(scheduler.running()).toHaveLength(0);
    },
  );

  it("a function that ignores its signal is abandoned after the grace but keeps its slot until it settles", async () => {
    const { supervisor, clock, logger, scheduler } = setup({ killGraceMs: 50, maxConcurrent: 1 });
    let finish: () => void = () => undefined;
    const agent = supervisor.spawn({
      name: "stubborn",
      run: () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    });
    let nextStarted = false;
    const next = supervisor.spawn({
      name: "next",
      run: async () => {
        nextStarted = true;
        return "next ran";
      },
    });
    const running = supervisor.run(agent.id, null);
    await settle();
    const queued = supervisor.run(next.id, null);
    const killed = supervisor.kill(agent.id, "stop");
    let settled = false;
    running
      .catch(() => undefined)
      .finally(() => {
        settled = true;
      });
    await settle();
    expect(settled).toBe(false);
    await clock.advanceAsync(50);
    // The caller is answered after the grace…
    await expect(running).rejects.toMatchObject({ code: "AGENT_KILLED" });
    await killed;
    expect(supervisor.get(agent.id)?.status).toBe("stopped");
    expect(supervisor.stats()).toMatchObject({ abandoned: 1, abandonedStillRunning: 1 });
    expect(logger.find("warn", "abandoned")).toHaveLength(1);
    // …but the ignoring function still holds the only slot: nothing else starts beside it.
    await clock.advanceAsync(10_000);
    expect(scheduler.running().map((task) => task.agentId)).toEqual([agent.id]);
    expect(nextStarted).toBe(false);
    finish();
    await expect(queued).resolves.toBe("next ran");
    expect(supervisor.stats().abandonedStillRunning).toBe(0);
    expect(scheduler.running()).toHaveLength(0);
  });

  it("times out for real with TIMED_OUT and the agent fails", async () => {
    const { supervisor, clock, events } = setup();
    const body = gate();
    const agent = supervisor.spawn({ name: "slow", run: body.run, timeoutMs: 1000 });
    const outcome = supervisor.run(agent.id, null).catch((error: KernelError) => error);
    await settle();
    await clock.advanceAsync(999);
    expect(body.seen[0]?.signal.aborted).toBe(false);
    await clock.advanceAsync(1);
    expect(await outcome).toMatchObject({ code: "TIMED_OUT" });
    expect(supervisor.get(agent.id)).toMatchObject({ status: "failed", lastError: { code: "TIMED_OUT" } });
    expect(events.ofType("agent.failed")[0]?.payload.error.code).toBe("TIMED_OUT");
  });

  it("a throwing function fails the agent with its code", async () => {
    const { supervisor } = setup();
    const agent = supervisor.spawn({
      name: "bad",
      run: async () => {
        throw new KernelError("TOOL_FAILED", "tool broke");
      },
    });
    await expect(supervisor.run(agent.id, null)).rejects.toMatchObject({ code: "TOOL_FAILED" });
    expect(supervisor.get(agent.id)?.status).toBe("failed");
  });

  it("rejects bad input with clear codes", async () => {
    const { supervisor } = setup();
    await expect(supervisor.run("nope", null)).rejects.toMatchObject({ code: "AGENT_NOT_FOUND" });
    await expect(supervisor.kill("nope")).rejects.toMatchObject({ code: "AGENT_NOT_FOUND" });
    expect(() => supervisor.spawn({ name: "", run: async () => 1 })).toThrowError(
      expect.objectContaining({ code: "AGENT_SPEC_INVALID" }),
    );
    expect(() => supervisor.spawn({ name: "x", run: "nope" as never })).toThrowError(
      expect.objectContaining({ code: "AGENT_SPEC_INVALID" }),
    );
    expect(() => supervisor.spawn({ name: "x", run: async () => 1, timeoutMs: 0 })).toThrowError(
      expect.objectContaining({ code: "AGENT_SPEC_INVALID" }),
    );
    const agent = supervisor.spawn({ name: "x", run: async () => 1 });
    await supervisor.kill(agent.id);
    await expect(supervisor.run(agent.id, null)).rejects.toMatchObject({ code: "AGENT_NOT_RUNNABLE" });
    const busy = gate();
    const other = supervisor.spawn({ name: "busy", run: busy.run });
    const first = supervisor.run(other.id, null);
    await expect(supervisor.run(other.id, null)).rejects.toMatchObject({ code: "AGENT_BUSY" });
    busy.release("ok");
    await first;
  });

  it("a kill racing a finishing run ends in exactly one terminal state", async () => {
    const { supervisor, events } = setup();
    const body = gate();
    const agent = supervisor.spawn({ name: "racer", run: body.run });
    const running = supervisor.run(agent.id, null);
    await settle();
    body.release("finished");
    const killed = supervisor.kill(agent.id, "late kill");
    const outcome = await running.then(
      (value) => `ok:${value}`,
      (error: KernelError) => `error:${error.code}`,
    );
    await killed;
    const status = supervisor.get(agent.id)?.status;
    expect(status).toBe("stopped");
    expect(["ok:finished", "error:AGENT_KILLED"]).toContain(outcome);
    expect(events.ofType("agent.failed")).toHaveLength(0);
    await supervisor.kill(agent.id, "again");
    expect(supervisor.get(agent.id)?.status).toBe("stopped");
  });

  it("exports and imports declared state; refuses with a code otherwise", () => {
    const { supervisor } = setup();
    let counter = 3;
    const stateful = supervisor.spawn({
      name: "counter",
      run: async () => counter++,
      state: {
        export: () => ({ counter }),
        import: (state) => {
          counter = (state as { counter: number }).counter;
        },
      },
    });
    expect(supervisor.exportState(stateful.id)).toEqual({ counter: 3 });
    supervisor.importState(stateful.id, { counter: 10 });
    expect(counter).toBe(10);
    const plain = supervisor.spawn({ name: "plain", run: async () => 1 });
    expect(() => supervisor.exportState(plain.id)).toThrowError(
      expect.objectContaining({ code: "AGENT_STATE_UNSUPPORTED" }),
    );
    const broken = supervisor.spawn({
      name: "broken",
      run: async () => 1,
      state: {
        export: () => {
          throw new Error("cannot serialise");
        },
        import: () => undefined,
      },
    });
    expect(() => supervisor.exportState(broken.id)).toThrowError(
      expect.objectContaining({ code: "AGENT_STATE_EXPORT_FAILED" }),
    );
  });

  it("remove forgets a non-running agent; ended agents beyond the retention are forgotten oldest first", async () => {
    const { scheduler, clock, events } = setup();
    const supervisor = new Supervisor({ scheduler, clock, events, retainEndedAgents: 2 });
    const body = gate();
    const busy = supervisor.spawn({ name: "busy", run: body.run });
    const running = supervisor.run(busy.id, null);
    await settle();
    expect(() => supervisor.remove(busy.id)).toThrowError(expect.objectContaining({ code: "AGENT_BUSY" }));
    body.release("ok");
    await running;
    expect(supervisor.remove(busy.id)).toBe(true);
    expect(supervisor.get(busy.id)).toBeUndefined();
    expect(supervisor.remove(busy.id)).toBe(false);

    const ended = [];
    for (let index = 0; index < 3; index++) {
      const agent = supervisor.spawn({ name: `short-${index}`, run: async () => index });
      await supervisor.kill(agent.id, "done");
      ended.push(agent.id);
    }
    const idle = supervisor.spawn({ name: "idle", run: async () => 0 });
    expect(supervisor.list().map((agent) => agent.id)).toEqual([ended[1], ended[2], idle.id]);
    expect(() => new Supervisor({ scheduler, retainEndedAgents: -1 })).toThrowError(
      expect.objectContaining({ code: "AGENT_SPEC_INVALID" }),
    );
  });

  it("onAgentEnded hears each agent end once, whether stopped or failed; a throwing listener is isolated", async () => {
    const { supervisor, logger } = setup();
    const ended: string[] = [];
    supervisor.onAgentEnded(() => {
      throw new Error("listener bug");
    });
    const unsubscribe = supervisor.onAgentEnded((agentId) => ended.push(agentId));
    const ok = supervisor.spawn({ name: "ok", run: async () => 1 });
    const bad = supervisor.spawn({
      name: "bad",
      run: async () => {
        throw new Error("boom");
      },
    });
    await supervisor.run(ok.id, null);
    expect(ended).toEqual([]);
    await expect(supervisor.run(bad.id, null)).rejects.toThrow("boom");
    await supervisor.kill(ok.id, "done");
    await supervisor.kill(ok.id, "again");
    expect(ended).toEqual([bad.id, ok.id]);
    expect(logger.find("warn", "agent-ended listener threw")).toHaveLength(2);
    unsubscribe();
    const late = supervisor.spawn({ name: "late", run: async () => 1 });
    await supervisor.kill(late.id, "done");
    expect(ended).toEqual([bad.id, ok.id]);
  });

  it("runs 50 agents in parallel with maxConcurrent 50: observed overlap is 50", async () => {
    const { supervisor, clock } = setup({ maxConcurrent: 50 });
    let inFlight = 0;
    let maxInFlight = 0;
    const agents = Array.from({ length: 50 }, (_, index) =>
      supervisor.spawn({
        name: `worker-${index}`,
        run: async (_input: unknown, context: AgentContext) => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await clock.sleep(100, context.signal);
          inFlight -= 1;
          return index;
        },
      }),
    );
    const runs = agents.map((agent) => supervisor.run(agent.id, null));
    await settle();
    await clock.advanceAsync(100);
    const results = await Promise.all(runs);
    expect(results).toHaveLength(50);
    expect(maxInFlight).toBe(50);
    expect(clock.now()).toBe(100);
  });

  it("shutdown stops intake, kills every run and reports; an abandoned run keeps its slot until it settles", async () => {
    const { supervisor, clock, scheduler } = setup({ killGraceMs: 20 });
    const cooperative = gate();
    let finishB: () => void = () => undefined;
    const a = supervisor.spawn({ name: "a", run: cooperative.run });
    const b = supervisor.spawn({
      name: "b",
      run: () =>
        new Promise<void>((resolve) => {
          finishB = resolve;
        }),
    });
    const idle = supervisor.spawn({ name: "idle", run: async () => 1 });
    const runA = supervisor.run(a.id, null).catch((error: KernelError) => error.code);
    const runB = supervisor.run(b.id, null).catch((error: KernelError) => error.code);
    await settle();
    const report = supervisor.shutdown({ timeoutMs: 1000 });
    await settle();
    await clock.advanceAsync(20);
    expect(await report).toEqual({ stoppedCleanly: 1, forced: 1, abandoned: 1, completed: true });
    expect(await runA).toBe("AGENT_KILLED");
    expect(await runB).toBe("AGENT_KILLED");
    expect(supervisor.get(idle.id)?.status).toBe("stopped");
    expect(() => supervisor.spawn({ name: "late", run: async () => 1 })).toThrowError(
      expect.objectContaining({ code: "SUPERVISOR_SHUTTING_DOWN" }),
    );
    expect(scheduler.running().map((task) => task.agentId)).toEqual([b.id]);
    finishB();
    await settle();
    expect(scheduler.running()).toHaveLength(0);
    expect(supervisor.stats().abandonedStillRunning).toBe(0);
  });
});

describe("Supervisor under random interleavings (property)", () => {
  type Step =
    | { kind: "spawn" }
    | { kind: "run"; pick: number }
    | { kind: "kill"; pick: number }
    | { kind: "complete"; pick: number }
    | { kind: "crash"; pick: number }
    | { kind: "tick"; ms: number };

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.constant<Step>({ kind: "spawn" }),
    fc.record({ kind: fc.constant("run" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("kill" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("complete" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("crash" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 40 }) }),
  );

  it("every agent ends in exactly one terminal state, no slot leaks, no unhandled rejection", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        async (steps, cap) => {
          const { supervisor, clock, scheduler, events } = setup({ maxConcurrent: cap, killGraceMs: 30 });
          const ids: string[] = [];
          const controls = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
          const outcomes: Array<Promise<string>> = [];
          // Functions entered and not yet settled, abandoned ones included: never more than the cap.
          let executing = 0;
          let maxExecuting = 0;
          for (const entry of steps) {
            if (entry.kind === "spawn") {
              const handle = supervisor.spawn({
                name: `agent-${ids.length}`,
                run: (_input: unknown, context: AgentContext) => {
                  executing += 1;
                  maxExecuting = Math.max(maxExecuting, executing);
                  return new Promise<void>((resolve, reject) => {
                    controls.set(context.agentId, { resolve, reject });
                    // Half the agents honour their signal; the rest must be abandoned after the grace.
                    if (ids.indexOf(context.agentId) % 2 === 0) {
                      context.signal.addEventListener("abort", () => reject(context.signal.reason));
                    }
                  }).finally(() => {
                    executing -= 1;
                  });
                },
              });
              ids.push(handle.id);
              continue;
            }
            if (entry.kind === "tick") {
              await clock.advanceAsync(entry.ms);
              continue;
            }
            const id = ids[entry.pick % Math.max(ids.length, 1)];
            if (id === undefined) continue;
            const handle = supervisor.get(id);
            if (
              entry.kind === "run" &&
              handle !== undefined &&
              (handle.status === "idle" || handle.status === "starting")
            ) {
              try {
                outcomes.push(
                  supervisor.run(id, null).then(
                    () => "ok",
                    (error: KernelError) => error.code,
                  ),
                );
              } catch (error) {
                expect(KernelError.hasCode(error, "AGENT_BUSY")).toBe(true);
              }
            } else if (entry.kind === "kill") {
              outcomes.push(supervisor.kill(id, "random kill").then((agent) => agent.status));
            } else if (entry.kind === "complete") {
              controls.get(id)?.resolve();
            } else if (entry.kind === "crash") {
              controls.get(id)?.reject(new Error("crash"));
            }
            await settle();
          }
          const shutdown = supervisor.shutdown({ timeoutMs: 10_000 });
          await settle();
          await clock.advanceAsync(30);
          await clock.advanceAsync(10_000);
          await shutdown;
          await Promise.all(outcomes);
          expect(maxExecuting).toBeLessThanOrEqual(cap);
          // Abandoned functions hold their slots until they settle; let them all settle.
          for (const control of controls.values()) control.resolve();
          await settle();
          expect(executing).toBe(0);
          for (const id of ids) {
            const status = supervisor.get(id)?.status;
            expect(["stopped", "failed"]).toContain(status);
            const terminalEvents = events.events.filter(
              (event) =>
                (event.type === "agent.failed" && event.payload.agentId === id) ||
                (event.type === "agent.stopped" && event.payload.agentId === id),
            );
            expect(terminalEvents).toHaveLength(1);
          }
          expect(scheduler.running()).toHaveLength(0);
          expect(scheduler.queued()).toHaveLength(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
