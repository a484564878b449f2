/**
 * The mapping between the kernel's A2A side and `@a2a-js/sdk`: text and data as SDK `Part`s
 * and `Message`s (both ways: the parts of a message read back as text and data), task states
 * (one table: SDK states read as `A2aTaskOutcome`s, kernel states written as SDK states),
 * streamed `StreamResponse` events as status updates, and the SDK client factory for an agent
 * whose requests carry extra headers. The SDK's values (its enums and classes) come from the
 * loaded SDK the caller passes (`a2a-sdk.ts`).
 */

import { randomUUID } from "node:crypto";
import type { Message, Part, Role, StreamResponse, TaskState } from "@a2a-js/sdk";
import type { ClientFactory } from "@a2a-js/sdk/client";
import type { A2aClientSdk, A2aSdk } from "./a2a-sdk.ts";
import type { A2aKernelTaskState } from "./kernel-port.ts";

export type A2aTaskOutcome =
  | "submitted"
  | "working"
  | "completed"
  | "failed"
  | "canceled"
  | "rejected"
  | "input-required"
  | "auth-required"
  | "unknown";

/** Outcomes after which a delegated task's stream has nothing more to say. */
export const TERMINAL_OUTCOMES: ReadonlySet<A2aTaskOutcome> = new Set<A2aTaskOutcome>([
  "completed",
  "failed",
  "canceled",
  "rejected",
  "input-required",
  "auth-required",
]);

/**
 * The SDK `TaskState` member each outcome stands for, read both ways: by `outcomeOf` for the
 * states a remote agent reports, by `sdkStateOf` for the states the kernel's server reports.
 */
const SDK_TASK_STATES = {
  submitted: "TASK_STATE_SUBMITTED",
  working: "TASK_STATE_WORKING",
  completed: "TASK_STATE_COMPLETED",
  failed: "TASK_STATE_FAILED",
  canceled: "TASK_STATE_CANCELED",
  rejected: "TASK_STATE_REJECTED",
  "input-required": "TASK_STATE_INPUT_REQUIRED",
  "auth-required": "TASK_STATE_AUTH_REQUIRED",
} as const satisfies Record<Exclude<A2aTaskOutcome, "unknown">, keyof A2aSdk["TaskState"]>;

type KnownOutcome = keyof typeof SDK_TASK_STATES;

/** The outcome each kernel task state is reported as. */
const KERNEL_STATE_OUTCOMES = {
  queued: "submitted",
  running: "working",
  completed: "completed",
  failed: "failed",
  cancelled: "canceled",
} as const satisfies Record<A2aKernelTaskState, KnownOutcome>;

/** The outcome an SDK task state stands for; `unknown` for an unset or unspecified one. */
export function outcomeOf(sdk: A2aSdk, state: TaskState | undefined): A2aTaskOutcome {
  const outcomes = Object.keys(SDK_TASK_STATES) as KnownOutcome[];
  return outcomes.find((outcome) => sdk.TaskState[SDK_TASK_STATES[outcome]] === state) ?? "unknown";
}

/** The SDK task state a kernel task state is reported as. */
export function sdkStateOf(sdk: A2aSdk, state: A2aKernelTaskState): TaskState {
  return sdk.TaskState[SDK_TASK_STATES[KERNEL_STATE_OUTCOMES[state]]];
}

/** The text parts of a reply joined by newlines, and its data parts (one value, or a list). */
export function readParts(parts: readonly Part[] | undefined): { text?: string; data?: unknown } {
  const texts: string[] = [];
  const data: unknown[] = [];
  for (const part of parts ?? []) {
    if (part.content?.$case === "text") texts.push(part.content.value);
    else if (part.content?.$case === "data") data.push(part.content.value);
  }
  const result: { text?: string; data?: unknown } = {};
  if (texts.length > 0) result.text = texts.join("\n");
  if (data.length > 0) result.data = data.length === 1 ? data[0] : data;
  return result;
}

/** A text part. */
export function textPart(text: string): Part {
  return { content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" };
}

/** A JSON data part. */
export function dataPart(value: unknown): Part {
  return { content: { $case: "data", value }, metadata: undefined, filename: "", mediaType: "application/json" };
}

/** A message with a fresh id from `role`. */
export function sdkMessage(
  role: Role,
  parts: Part[],
  ids: { taskId?: string; contextId?: string; metadata?: Record<string, unknown> } = {},
): Message {
  return {
    messageId: randomUUID(),
    contextId: ids.contextId ?? "",
    taskId: ids.taskId ?? "",
    role,
    parts,
    metadata: ids.metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** A user message: its text, and `data` as a JSON part. */
export function userMessage(
  sdk: A2aSdk,
  text: string,
  options: { data?: unknown; taskId?: string; metadata?: Record<string, unknown> },
): Message {
  const parts = [textPart(text), ...(options.data === undefined ? [] : [dataPart(options.data)])];
  return sdkMessage(sdk.Role.ROLE_USER, parts, {
    ...(options.taskId === undefined ? {} : { taskId: options.taskId }),
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
  });
}

/** What one streamed event says: the task it concerns (if named) and the status it reports. */
export interface StreamedStatus {
  task?: { id: string; contextId: string };
  state: TaskState | undefined;
  parts: readonly Part[] | undefined;
}

/** Reads a streamed event as a status; `undefined` for events that carry none (artifacts). */
export function streamedStatus(sdk: A2aSdk, event: StreamResponse): StreamedStatus | undefined {
  const payload = event.payload;
  if (payload === undefined) return undefined;
  switch (payload.$case) {
    case "task":
      return {
        task: { id: payload.value.id, contextId: payload.value.contextId },
        state: payload.value.status?.state,
        parts: payload.value.status?.message?.parts,
      };
    case "statusUpdate":
      return {
        task: { id: payload.value.taskId, contextId: payload.value.contextId },
        state: payload.value.status?.state,
        parts: payload.value.status?.message?.parts,
      };
    case "message":
      return { state: sdk.TaskState.TASK_STATE_COMPLETED, parts: payload.value.parts };
    default:
      return undefined;
  }
}

/** An SDK client factory whose requests go through `base` and carry `headers`. */
export function clientFactoryWith(
  { client }: A2aClientSdk,
  base: typeof fetch,
  headers: Readonly<Record<string, string>> | undefined,
): ClientFactory {
  const fetchImpl: typeof fetch = (input, init) => {
    const merged = new Headers(init?.headers);
    for (const [name, value] of Object.entries(headers ?? {})) merged.set(name, value);
    return base(input, { ...init, headers: merged });
  };
  return new client.ClientFactory(
    client.ClientFactoryOptions.createFrom(client.ClientFactoryOptions.default, {
      transports: [new client.JsonRpcTransportFactory({ fetchImpl }), new client.RestTransportFactory({ fetchImpl })],
    }),
  );
}
