/**
 * The mapping between `A2aAgents` and the `@a2a-js/sdk` client: outgoing user messages as
 * SDK `Message`s, SDK task states as `A2aTaskOutcome`s, the parts of a reply as text and
 * data, streamed `StreamResponse` events as status updates, and the SDK client factory for
 * an agent whose requests carry extra headers.
 */

import { randomUUID } from "node:crypto";
import { type Message, type Part, Role, type StreamResponse, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, RestTransportFactory } from "@a2a-js/sdk/client";

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

const OUTCOME: Partial<Record<TaskState, A2aTaskOutcome>> = {
  [TaskState.TASK_STATE_SUBMITTED]: "submitted",
  [TaskState.TASK_STATE_WORKING]: "working",
  [TaskState.TASK_STATE_COMPLETED]: "completed",
  [TaskState.TASK_STATE_FAILED]: "failed",
  [TaskState.TASK_STATE_CANCELED]: "canceled",
  [TaskState.TASK_STATE_REJECTED]: "rejected",
  [TaskState.TASK_STATE_INPUT_REQUIRED]: "input-required",
  [TaskState.TASK_STATE_AUTH_REQUIRED]: "auth-required",
};

/** Outcomes after which a delegated task's stream has nothing more to say. */
export const TERMINAL_OUTCOMES: ReadonlySet<A2aTaskOutcome> = new Set<A2aTaskOutcome>([
  "completed",
  "failed",
  "canceled",
  "rejected",
  "input-required",
  "auth-required",
]);

export function outcomeOf(state: TaskState | undefined): A2aTaskOutcome {
  return (state === undefined ? undefined : OUTCOME[state]) ?? "unknown";
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

/** A user message: its text, and `data` as a JSON part. */
export function userMessage(
  text: string,
  options: { data?: unknown; taskId?: string; metadata?: Record<string, unknown> },
): Message {
  const parts: Part[] = [
    { content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" },
  ];
  if (options.data !== undefined) {
    parts.push({
      content: { $case: "data", value: options.data },
      metadata: undefined,
      filename: "",
      mediaType: "application/json",
    });
  }
  return {
    messageId: randomUUID(),
    contextId: "",
    taskId: options.taskId ?? "",
    role: Role.ROLE_USER,
    parts,
    metadata: options.metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** What one streamed event says: the task it concerns (if named) and the status it reports. */
export interface StreamedStatus {
  task?: { id: string; contextId: string };
  state: TaskState | undefined;
  parts: readonly Part[] | undefined;
}

/** Reads a streamed event as a status; `undefined` for events that carry none (artifacts). */
export function streamedStatus(event: StreamResponse): StreamedStatus | undefined {
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
      return { state: TaskState.TASK_STATE_COMPLETED, parts: payload.value.parts };
    default:
      return undefined;
  }
}

/** An SDK client factory whose requests go through `base` and carry `headers`. */
export function clientFactoryWith(
  base: typeof fetch,
  headers: Readonly<Record<string, string>> | undefined,
): ClientFactory {
  const fetchImpl: typeof fetch = (input, init) => {
    const merged = new Headers(init?.headers);
    for (const [name, value] of Object.entries(headers ?? {})) merged.set(name, value);
    return base(input, { ...init, headers: merged });
  };
  return new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl }), new RestTransportFactory({ fetchImpl })],
    }),
  );
}
