/**
 * One run: its status timeline, transcript (prompt, model turns, tool calls with inputs and
 * outputs), the events about it while the page is open, its audit entries, and cancel.
 * Any event naming the run (or its agent) reloads the record and the transcript.
 */

import { useState } from "preact/hooks";
import { useKernelEvents, useLoad, useSession } from "../context.ts";
import type { KernelEvent } from "../events.ts";
import { dateTime, duration, json, message, time } from "../format.ts";
import { href } from "../router.ts";
import { ScrollRegion } from "../scroll-region.tsx";
import type { AuditEntry, Run, RunStep } from "../types.ts";

const ACTIVE = new Set(["queued", "running"]);

export function RunDetailPage(props: { taskId: string }) {
  const { api } = useSession();
  const path = `/api/runs/${encodeURIComponent(props.taskId)}`;
  const run = useLoad((client) => client.get<Run>(path), [path]);
  const steps = useLoad((client) => client.get<{ steps: RunStep[] }>(`${path}/steps`), [path]);
  const agentId = run.data?.agentId;
  const audit = useLoad(
    (client) =>
      agentId === undefined
        ? Promise.resolve({ entries: [] as AuditEntry[] })
        : client.get<{ entries: AuditEntry[] }>(`/api/audit?actor=${encodeURIComponent(`agent:${agentId}`)}&limit=200`),
    [agentId],
  );
  const [events, setEvents] = useState<KernelEvent[]>([]);
  const [action, setAction] = useState<{ text: string; error: boolean } | undefined>(undefined);
  useKernelEvents((event) => {
    const about = event.payload.taskId === props.taskId || (agentId !== undefined && event.payload.agentId === agentId);
    if (!about) return;
    setEvents((current) => [...current, event].slice(-200));
    run.reload();
    steps.reload();
    audit.reload();
  });
  const cancel = async () => {
    try {
      const result = await api.post<{ cancelled: boolean }>(`${path}/cancel`);
      setAction({ text: result.cancelled ? "Cancel requested." : "The run had already finished.", error: false });
      run.reload();
    } catch (failure) {
      setAction({ text: `Could not cancel: ${message(failure)}`, error: true });
    }
  };
  const record = run.data;
  return (
    <>
      <p>
        <a href={href("runs")}>← All runs</a>
      </p>
      <h1>Run {props.taskId}</h1>
      {run.error === undefined ? null : (
        <p role="alert" class="error">
          {run.error}
        </p>
      )}
      {record === undefined ? (
        <p>Loading…</p>
      ) : (
        <>
          <section class="card" aria-labelledby="summary-heading">
            <h2 id="summary-heading">Summary</h2>
            <dl class="facts">
              <dt>Goal</dt>
              <dd>{record.goal}</dd>
              <dt>Status</dt>
              <dd>
                <span class={`badge badge-${record.status}`} role="status" aria-label={`Status: ${record.status}`}>
                  {record.status}
                </span>
              </dd>
              <dt>Agent profile</dt>
              <dd>{record.agent ?? "default"}</dd>
              <dt>Model</dt>
              <dd>{record.model ?? "—"}</dd>
              <dt>Duration</dt>
              <dd>{duration(record.durationMs)}</dd>
              <dt>Tokens</dt>
              <dd>
                {record.usage === undefined ? "—" : `${record.usage.inputTokens} in / ${record.usage.outputTokens} out`}
              </dd>
            </dl>
            {record.text === undefined ? null : (
              <>
                <h3>Answer</h3>
                <pre class="output">{record.text}</pre>
              </>
            )}
            {record.error === undefined ? null : (
              <p class="error">
                {record.error.code}: {record.error.message}
              </p>
            )}
            {ACTIVE.has(record.status) ? (
              <button type="button" class="danger" onClick={cancel}>
                Cancel run
              </button>
            ) : null}
            {action === undefined ? null : (
              <p role={action.error ? "alert" : "status"} class={action.error ? "error" : undefined}>
                {action.text}
              </p>
            )}
          </section>
          <section class="card" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline</h2>
            <ol class="timeline">
              <li>Queued at {dateTime(record.createdAt)}</li>
              {record.startedAt === undefined ? null : <li>Running from {dateTime(record.startedAt)}</li>}
              {record.finishedAt === undefined ? null : (
                <li>
                  {record.status[0]?.toUpperCase()}
                  {record.status.slice(1)} at {dateTime(record.finishedAt)}
                </li>
              )}
            </ol>
          </section>
          <section class="card" aria-labelledby="transcript-heading">
            <h2 id="transcript-heading">Transcript</h2>
            <Transcript steps={steps.data?.steps ?? []} />
          </section>
          <section class="card" aria-labelledby="run-events-heading">
            <h2 id="run-events-heading">Events</h2>
            {events.length === 0 ? (
              <p>No event about this run since the page opened.</p>
            ) : (
              <ul class="plain">
                {events.map((event) => (
                  <li key={event.id}>
                    <code>{time(event.at)}</code> {event.type}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section class="card" aria-labelledby="run-audit-heading">
            <h2 id="run-audit-heading">Audit entries</h2>
            <AuditTable entries={audit.data?.entries ?? []} />
          </section>
        </>
      )}
    </>
  );
}

function Transcript(props: { steps: RunStep[] }) {
  if (props.steps.length === 0) return <p>No step journalled yet.</p>;
  return (
    <ol class="transcript">
      {props.steps.map((step, index) => (
        <li key={index} class={`step step-${step.kind}`}>
          <StepView step={step} />
        </li>
      ))}
    </ol>
  );
}

function StepView(props: { step: RunStep }) {
  const { step } = props;
  switch (step.kind) {
    case "prompt":
      return (
        <>
          <h3>Goal given to the model</h3>
          <pre>{step.input}</pre>
        </>
      );
    case "model":
      return (
        <>
          <h3>
            Model turn ({step.usage.inputTokens} in / {step.usage.outputTokens} out)
          </h3>
          {step.text.length > 0 ? <pre>{step.text}</pre> : null}
          {step.toolCalls.map((call) => (
            <p key={call.callId}>
              Requests tool <strong>{call.name}</strong> with <code>{call.rawInput}</code>
            </p>
          ))}
        </>
      );
    case "tool-call":
      return (
        <h3>
          Tool call <strong>{step.name}</strong> started
        </h3>
      );
    case "tool-result":
      return (
        <>
          <h3>
            Tool <strong>{step.name}</strong> {step.outcome.ok ? "succeeded" : "failed"}
          </h3>
          <p>Input</p>
          <pre>{json(step.input)}</pre>
          <p>{step.outcome.ok ? "Output" : "Error"}</p>
          <pre>{step.outcome.ok ? step.outcome.output : `${step.outcome.errorCode}: ${step.outcome.message}`}</pre>
        </>
      );
    case "compaction":
      return (
        <>
          <h3>Context compacted</h3>
          <pre>{step.summary}</pre>
        </>
      );
  }
}

export function AuditTable(props: { entries: AuditEntry[] }) {
  if (props.entries.length === 0) return <p>No audit entry.</p>;
  return (
    <ScrollRegion label="Audit entries">
      <table>
        <thead>
          <tr>
            <th scope="col">Seq</th>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Resource</th>
            <th scope="col">Hash</th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((entry) => (
            <tr key={entry.seq}>
              <td>{entry.seq}</td>
              <td>{time(entry.at)}</td>
              <td>{entry.actor}</td>
              <td>{entry.action}</td>
              <td>{entry.resource}</td>
              <td>
                <code>{entry.hash.slice(0, 12)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
