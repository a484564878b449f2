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
