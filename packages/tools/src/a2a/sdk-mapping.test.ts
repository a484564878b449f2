import * as sdk from "@a2a-js/sdk";
import { describe, expect, it } from "vitest";
import { outcomeOf, sdkStateOf } from "./sdk-mapping.ts";

const { TaskState } = sdk;

describe("task states between the kernel, its outcomes and the A2A SDK", () => {
  it("reads every SDK task state as its outcome, an unset or unspecified one as unknown", () => {
    expect(
      [
        TaskState.TASK_STATE_SUBMITTED,
        TaskState.TASK_STATE_WORKING,
        TaskState.TASK_STATE_COMPLETED,
        TaskState.TASK_STATE_FAILED,
        TaskState.TASK_STATE_CANCELED,
        TaskState.TASK_STATE_REJECTED,
        TaskState.TASK_STATE_INPUT_REQUIRED,
        TaskState.TASK_STATE_AUTH_REQUIRED,
        TaskState.TASK_STATE_UNSPECIFIED,
        undefined,
      ].map((state) => outcomeOf(sdk, state)),
    ).toEqual([
      "submitted",
      "working",
      "completed",
      "failed",
      "canceled",
      "rejected",
      "input-required",
      "auth-required",
      "unknown",
      "unknown",
    ]);
  });

  it("writes every kernel task state as the SDK state it is reported as", () => {
    expect(
      (["queued", "running", "completed", "failed", "cancelled"] as const).map((state) => sdkStateOf(sdk, state)),
    ).toEqual([
      TaskState.TASK_STATE_SUBMITTED,
      TaskState.TASK_STATE_WORKING,
      TaskState.TASK_STATE_COMPLETED,
      TaskState.TASK_STATE_FAILED,
      TaskState.TASK_STATE_CANCELED,
    ]);
  });
});
