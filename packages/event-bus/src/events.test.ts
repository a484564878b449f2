import { describe, expect, it } from "vitest";
import type { KernelEvent } from "./events.ts";

describe("KernelEvent", () => {
  it("narrows the payload by type", () => {
    const event: KernelEvent = {
      type: "task.admitted",
      id: "0190a000-0000-7000-8000-000000000000",
      at: 0,
      source: "scheduler",
      payload: { taskId: "t1", waitingMs: 5, attempt: 1 },
    };
    const waiting = event.type === "task.admitted" ? event.payload.waitingMs : -1;
    expect(waiting).toBe(5);
  });
});

describe("createEvent and RecordingPublisher", () => {
  it("builds events with time-ordered ids and records them in order", async () => {
    const { createEvent } = await import("./publisher.ts");
    const { RecordingPublisher } = await import("./testing/recording-publisher.ts");
    const publisher = new RecordingPublisher();
    const first = createEvent("space.created", { spaceId: "s1", name: "a", source: "manual" }, "space", 1000);
    const second = createEvent("space.removed", { spaceId: "s1", name: "a" }, "space", 1000);
    expect(publisher.publish(first)).toEqual({ delivered: 1, dropped: 0 });
    publisher.publish(second);
    expect(second.id > first.id).toBe(true);
    expect(publisher.types()).toEqual(["space.created", "space.removed"]);
    expect(publisher.ofType("space.removed")[0]?.payload.name).toBe("a");
  });
});
