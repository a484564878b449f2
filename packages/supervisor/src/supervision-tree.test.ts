import { KernelError } from "@oxios/core";
import { createMemoryLogger, ManualClock, settle } from "@oxios/core/testing";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import { describe, expect, it } from "vitest";
import { type ChildSpec, type RestartType, SupervisionTree } from "./supervision-tree.ts";

/** A child whose exits the test controls; it honours its stop signal unless told not to. */
function controllable(log: string[]) {
  const live = new Map<string, { exit: () => void; crash: (message: string) => void }>();
  const child = (id: string, restart: RestartType = "permanent", ignoreStop = false): ChildSpec => ({
    id,
    restart,
    shutdownTimeoutMs: 100,
    start: (signal) =>
      new Promise<void>((resolve, reject) => {
        log.push(`start ${id}`);
        live.set(id, { exit: () => resolve(), crash: (message) => reject(new Error(message)) });
        if (!ignoreStop) {
          signal.addEventListener("abort", () => {
            log.push(`stop ${id}`);
            resolve();
          });
        }
      }),
  });
  return {
    child,
    exit: (id: string) => live.get(id)?.exit(),
    crash: (id: string) => live.get(id)?.crash(`${id} crashed`),
  };
}

describe("SupervisionTree", () => {
  it("starts children in order and stops them in reverse order", async () => {
    const log: string[] = [];
    const { child } = controllable(log);
    const tree = new SupervisionTree({ name: "root", children: [child("a"), child("b"), child("c")] });
    tree.start();
    expect(log).toEqual(["start a", "start b", "start c"]);
    const report = await tree.stop();
    expect(log.slice(3)).toEqual(["stop c", "stop b", "stop a"]);
    expect(report).toEqual({ stopped: ["c", "b", "a"], forced: [] });
    expect(await tree.terminated()).toBeUndefined();
  });

  it("one_for_one restarts only the crashed child", async () => {
    const log: string[] = [];
    const { child, crash } = controllable(log);
    const events = new RecordingPublisher();
    const tree = new SupervisionTree({
      name: "t",
      strategy: "one_for_one",
      events,
      children: [child("a"), child("b"), child("c")],
    });
    tree.start();
    log.length = 0;
    crash("b");
    await settle();
    expect(log).toEqual(["start b"]);
    expect(tree.children().map((c) => [c.id, c.restarts])).toEqual([
      ["a", 0],
      ["b", 1],
      ["c", 0],
    ]);
    expect(events.ofType("agent.restarted").map((event) => event.payload.agentId)).toEqual(["b"]);
    await tree.stop();
  });

  it("one_for_all stops the others in reverse order, then restarts all in order", async () => {
    const log: string[] = [];
    const { child, crash } = controllable(log);
    const tree = new SupervisionTree({
      name: "t",
      strategy: "one_for_all",
      children: [child("a"), child("b"), child("c")],
    });
    tree.start();
    log.length = 0;
    crash("b");
    await settle();
    expect(log).toEqual(["stop c", "stop a", "start a", "start b", "start c"]);
    await tree.stop();
  });

  it("rest_for_one restarts the crashed child and those started after it", async () => {
    const log: string[] = [];
    const { child, crash } = controllable(log);
    const tree = new SupervisionTree({
      name: "t",
      strategy: "rest_for_one",
      children: [child("a"), child("b"), child("c"), child("d")],
    });
    tree.start();
    log.length = 0;
    crash("b");
    await settle();
    expect(log).toEqual(["stop d", "stop c", "start b", "start c", "start d"]);
    await tree.stop();
  });

  it("restart types: permanent always, transient only on crash, temporary never", async () => {
    const log: string[] = [];
    const { child, exit, crash } = controllable(log);
    const tree = new SupervisionTree({
      name: "t",
      intensity: { maxRestarts: 10, periodMs: 1000 },
      logger: createMemoryLogger(),
      children: [
        child("perm", "permanent"),
        child("transExits", "transient"),
        child("transCrashes", "transient"),
        child("temp", "temporary"),
      ],
    });
    tree.start();
    log.length = 0;
    exit("perm");
    exit("transExits");
    crash("temp");
    await settle();
    expect(log).toEqual(["start perm"]);
    crash("transCrashes");
    await settle();
    expect(log).toEqual(["start perm", "start transCrashes"]);
    expect(tree.children().map((c) => [c.id, c.status])).toEqual([
      ["perm", "running"],
      ["transExits", "exited"],
      ["transCrashes", "running"],
      ["temp", "crashed"],
    ]);
    await tree.stop();
  });

  it("exceeding the intensity stops all children in reverse order and fails the tree", async () => {
    const log: string[] = [];
    const clock = new ManualClock(0);
    const { child, crash } = controllable(log);
    const tree = new SupervisionTree({
      name: "t",
      clock,
      intensity: { maxRestarts: 3, periodMs: 5000 },
      children: [child("a"), child("b"), child("c")],
    });
    tree.start();
    for (let index = 0; index < 3; index++) {
      crash("b");
      await settle();
      clock.advance(1000);
    }
    expect(tree.children().find((c) => c.id === "b")?.restarts).toBe(3);
    log.length = 0;
    crash("b");
    await settle();
    expect(log).toEqual(["stop c", "stop a"]);
    const failure = await tree.terminated();
    expect(failure?.code).toBe("SUPERVISOR_INTENSITY_EXCEEDED");
  });

  it("restarts spread beyond the period do not count against the intensity", async () => {
    const log: string[] = [];
    const clock = new ManualClock(0);
    const { child, crash } = controllable(log);
    const tree = new SupervisionTree({
      name: "t",
      clock,
      intensity: { maxRestarts: 2, periodMs: 1000 },
      children: [child("a")],
    });
    tree.start();
    for (let index = 0; index < 6; index++) {
      crash("a");
      await settle();
      clock.advance(600);
    }
    expect(tree.children()[0]?.restarts).toBe(6);
    expect(tree.failure).toBeUndefined();
    await tree.stop();
  });

  it("escalates: a failing subtree crashes in its parent, which restarts it", async () => {
    const log: string[] = [];
    const clock = new ManualClock(0);
    const { child, crash } = controllable(log);
    const subtree = () =>
      new SupervisionTree({
        name: "sub",
        clock,
        intensity: { maxRestarts: 1, periodMs: 5000 },
        children: [child("x")],
      });
    let built = 0;
    const parent = new SupervisionTree({
      name: "parent",
      clock,
      intensity: { maxRestarts: 5, periodMs: 5000 },
      children: [
        {
          id: "sub",
          start: (signal) => {
            built += 1;
            return subtree().asChild().start(signal);
          },
        },
      ],
    });
    parent.start();
    crash("x");
    await settle();
    crash("x");
    await settle();
    expect(built).toBe(2);
    expect(parent.children()[0]).toMatchObject({ id: "sub", restarts: 1, status: "running" });
    await parent.stop();
  });

  it("a child that ignores its stop signal is abandoned after its shutdown timeout", async () => {
    const log: string[] = [];
    const clock = new ManualClock(0);
    const { child } = controllable(log);
    const tree = new SupervisionTree({
      name: "t",
      clock,
      children: [child("good"), child("stubborn", "permanent", true)],
    });
    tree.start();
    const stopping = tree.stop();
    await settle();
    await clock.advanceAsync(100);
    expect(await stopping).toEqual({ stopped: ["good"], forced: ["stubborn"] });
  });

  it("rejects zero or negative intensity and duplicate children", () => {
    expect(
      () => new SupervisionTree({ name: "t", intensity: { maxRestarts: 0, periodMs: 1000 }, children: [] }),
    ).toThrowError(expect.objectContaining({ code: "SUPERVISOR_INTENSITY_INVALID" }));
    expect(
      () => new SupervisionTree({ name: "t", intensity: { maxRestarts: 3, periodMs: -1 }, children: [] }),
    ).toThrowError(expect.objectContaining({ code: "SUPERVISOR_INTENSITY_INVALID" }));
    const start = async (): Promise<void> => undefined;
    expect(
      () =>
        new SupervisionTree({
          name: "t",
          children: [
            { id: "a", start },
            { id: "a", start },
          ],
        }),
    ).toThrowError(expect.objectContaining({ code: "SUPERVISOR_CHILD_INVALID" }));
    expect(KernelError).toBeDefined();
  });
});
