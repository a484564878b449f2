/**
 * Chat: one conversation (a session) with the orchestrator, streamed from `/api/chat/stream`
 * (phases and text deltas as they come, then the result with the session and its space).
 */

import { createParser } from "eventsource-parser";
import { useState } from "preact/hooks";
import { useSession } from "../context.ts";
import { message } from "../format.ts";

interface Turn {
  role: "you" | "oxios";
  text: string;
}

interface StreamEvent {
  type: string;
  delta?: string;
  phase?: string;
  status?: string;
  result?: { response: string; sessionId: string; spaceId: string; spaceTag: string };
  error?: { code: string; message: string };
}

export function ChatPage() {
  const { api } = useSession();
  const [turns, setTurns] = useState<Turn[]>([]);
  const [draft, setDraft] = useState("");
  const [sessionId, setSessionId] = useState<string | undefined>(undefined);
  const [space, setSpace] = useState<string | undefined>(undefined);
  const [phase, setPhase] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const appendToReply = (text: string) =>
    setTurns((current) => {
      const last = current.at(-1);
      if (last?.role !== "oxios") return [...current, { role: "oxios", text }];
      return [...current.slice(0, -1), { role: "oxios", text: last.text + text }];
    });

  const send = async (event: Event) => {
    event.preventDefault();
    const text = draft.trim();
    if (text === "") return;
    setDraft("");
    setBusy(true);
    setError(undefined);
    setTurns((current) => [...current, { role: "you", text }]);
    try {
      const response = await api.raw("/api/chat/stream", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: text, ...(sessionId === undefined ? {} : { sessionId }) }),
      });
      let streamed = false;
      const parser = createParser({
        onEvent: (item) => {
          const data = JSON.parse(item.data) as StreamEvent;
          if (item.event === "phase" && data.status === "started") setPhase(data.phase);
          if (item.event === "text" && data.delta !== undefined) {
            streamed = true;
            appendToReply(data.delta);
          }
          if (item.event === "result" && data.result !== undefined) {
            setSessionId(data.result.sessionId);
            setSpace(data.result.spaceTag || data.result.spaceId);
            if (!streamed) appendToReply(data.result.response);
          }
          if (item.event === "error") setError(data.error?.message ?? "the chat failed");
        },
      });
      if (response.body === null) throw new Error("no stream");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch (failure) {
      setError(message(failure));
    } finally {
      setBusy(false);
      setPhase(undefined);
    }
  };

  return (
    <>
      <h1>Chat</h1>
      <p>
        Session: {sessionId ?? "new"} · Space: {space ?? "—"}{" "}
        <button
          type="button"
          class="quiet"
          onClick={() => {
            setSessionId(undefined);
            setTurns([]);
            setSpace(undefined);
          }}
        >
          New session
        </button>
      </p>
      <ol class="chat" aria-label="Conversation" aria-live="polite">
        {turns.map((turn, index) => (
          <li key={index} class={`turn turn-${turn.role}`}>
            <strong>{turn.role === "you" ? "You" : "Oxios"}:</strong> {turn.text}
          </li>
        ))}
      </ol>
      {phase === undefined ? null : <p role="status">Working: {phase}…</p>}
      {error === undefined ? null : (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <form onSubmit={send} class="row">
        <label class="grow">
          Message
          <input value={draft} onInput={(event) => setDraft(event.currentTarget.value)} disabled={busy} />
        </label>
        <button type="submit" disabled={busy}>
          Send
        </button>
      </form>
    </>
  );
}
