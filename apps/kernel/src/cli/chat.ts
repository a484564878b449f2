/**
 * `oxios chat`: one message per line, each streamed over `POST /api/chat/stream` (text as it
 * arrives, tool calls as they happen), in one session until `.reset`. Dot-commands change
 * what the next message goes with:
 *
 *   .session [ID]   show the session, or continue session ID
 *   .agent [NAME|-] show the agent profile, use NAME, or `-` for the default agent
 *   .space [ID|-]   show the space, use space ID, or `-` to let the kernel detect it
 *   .reset          start a new session
 *   .help           list these
 */

import { createInterface } from "node:readline";
import { KernelError } from "@oxios/core";
import { KernelErrorCode } from "../error-codes.ts";
import { type KernelClient, serverSentEvents } from "./client.ts";
import { INTERRUPTED } from "./command-line.ts";

export interface ChatOptions {
  agent?: string | undefined;
  session?: string | undefined;
  space?: string | undefined;
}

export interface ChatIo {
  input: NodeJS.ReadableStream;
  write(text: string): void;
  /** One line for stderr (what ended the chat). */
  error(line: string): void;
  /** Aborted by the first Ctrl-C: the reply in progress stops in the kernel and the chat ends. */
  interrupt?: AbortSignal;
}

const HELP = [
  ".session [ID]    show the session, or continue session ID",
  ".agent [NAME|-]  show the agent profile, use NAME, or - for the default agent",
  ".space [ID|-]    show the space, use space ID, or - to let the kernel detect it",
  ".reset           start a new session",
  ".help            this list",
].join("\n");

/** What one streamed message ended with. */
interface Outcome {
  sessionId?: string;
  spaceId?: string;
}

export async function chat(client: KernelClient, io: ChatIo, initial: ChatOptions): Promise<number> {
  const state: ChatOptions = { ...initial };
  const line = (text: string) => io.write(`${text}\n`);
  line("oxios chat — one message per line; .help for commands, Ctrl-D to leave");
  const lines = createInterface({ input: io.input, terminal: false });
  const interrupt = io.interrupt;
  const leave = () => lines.close();
  interrupt?.addEventListener("abort", leave, { once: true });
  let failures = 0;
  try {
    for await (const raw of lines) {
      const text = raw.trim();
      if (text.length === 0) continue;
      if (text.startsWith(".")) {
        line(command(text, state));
        continue;
      }
      try {
        const outcome = await send(client, text, state, io.write, interrupt);
        if (outcome.sessionId !== undefined) state.session = outcome.sessionId;
      } catch (error) {
        // Ctrl-C closed the stream: the kernel sees the connection go and aborts the reply.
        if (interrupt?.aborted === true) break;
        failures += 1;
        const failure = KernelError.from(error);
        line(`error: ${failure.code}: ${failure.message}`);
      }
    }
  } finally {
    interrupt?.removeEventListener("abort", leave);
    lines.close();
  }
  if (interrupt?.aborted === true) {
    io.error("oxios: cancelled (Ctrl-C)");
    return INTERRUPTED;
  }
  return failures === 0 ? 0 : 1;
}

function command(text: string, state: ChatOptions): string {
  const [name, ...rest] = text.split(/\s+/);
  const value = rest.join(" ");
  switch (name) {
    case ".session":
      if (value !== "") state.session = value;
      return `session: ${state.session ?? "(new)"}`;
    case ".agent":
      if (value === "-") delete state.agent;
      else if (value !== "") state.agent = value;
      return `agent: ${state.agent ?? "(default)"}`;
    case ".space":
      if (value === "-") delete state.space;
      else if (value !== "") state.space = value;
      return `space: ${state.space ?? "(detected)"}`;
    case ".reset":
      delete state.session;
      return "session: (new)";
    case ".help":
      return HELP;
    default:
      return `unknown command ${name}; .help lists them`;
  }
}

async function send(
  client: KernelClient,
  message: string,
  state: ChatOptions,
  write: (text: string) => void,
  signal: AbortSignal | undefined,
): Promise<Outcome> {
  const response = await client.stream(
    "POST",
    "/api/chat/stream",
    {
      message,
      ...(state.session === undefined ? {} : { sessionId: state.session }),
      ...(state.space === undefined ? {} : { spaceId: state.space }),
      ...(state.agent === undefined ? {} : { agent: state.agent }),
    },
    signal,
  );
  const outcome: Outcome = {};
  let open = false;
  for await (const { event, data } of serverSentEvents(response)) {
    const payload = JSON.parse(data) as Record<string, unknown>;
    if (event === "text") {
      write(String(payload.delta ?? ""));
      open = true;
    } else if (event === "tool-call") {
      write(`${open ? "\n" : ""}  [${String(payload.name)}]\n`);
      open = false;
    } else if (event === "result") {
      const result = payload.result as { sessionId?: string; spaceId?: string };
      if (result.sessionId !== undefined) outcome.sessionId = result.sessionId;
      if (result.spaceId !== undefined) outcome.spaceId = result.spaceId;
    } else if (event === "error") {
      const error = (payload as { error?: { code?: string; message?: string } }).error;
      if (open) write("\n");
      throw new KernelError(error?.code ?? KernelErrorCode.cliRequestFailed, error?.message ?? "the message failed");
    }
  }
  write(open ? "\n" : "");
  return outcome;
}
