/** Events: the live tail of kernel events, filtered by type, pausable (the newest 500 kept). */

import { useState } from "preact/hooks";
import { useKernelEvents } from "../context.ts";
import type { KernelEvent } from "../events.ts";
import { time } from "../format.ts";

const KEEP = 500;

export function EventsPage() {
  const [events, setEvents] = useState<KernelEvent[]>([]);
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState("");
  useKernelEvents((event) => {
    if (!paused) setEvents((current) => [event, ...current].slice(0, KEEP));
  });
  const shown = events.filter((event) => filter === "" || event.type.startsWith(filter));
  return (
    <>
      <h1>Events</h1>
      <div class="row">
        <label>
          Type starts with
          <input
            value={filter}
            placeholder="task. or approval.requested"
            onInput={(event) => setFilter(event.currentTarget.value.trim())}
          />
        </label>
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? "Resume" : "Pause"}
        </button>
        <span role="status">{paused ? "Paused" : `${shown.length} events`}</span>
      </div>
      <ol class="tail" aria-label="Live events, newest first" aria-live="off">
        {shown.map((event) => (
          <li key={event.id}>
            <code>{time(event.at)}</code> <strong>{event.type}</strong> <span class="muted">{event.source}</span>
            <pre>{JSON.stringify(event.payload)}</pre>
          </li>
        ))}
      </ol>
    </>
  );
}
