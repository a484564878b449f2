/**
 * Overview: module health, scheduler gauges and latencies, runs per minute over the last
 * hour, memory and audit counts, interop (MCP servers, A2A agents). Refreshed by events
 * (at most once a second).
 */

import { useRef } from "preact/hooks";
import { useKernelEvents, useLoad } from "../context.ts";
import { duration } from "../format.ts";
import type { Run } from "../types.ts";

interface Status {
  version: string;
  uptimeMs: number;
  modules: Record<string, string>;
  model: { spec: string };
  memory: { mode: string; embedder: string; memories: number };
  sandbox: { kind: string; available: boolean };
  interop: {
    mcp: Array<{ name: string; transport: string; state: string; tools: number; lastError?: string }>;
    a2a: Array<{ url: string; state: string; name?: string; error?: string }>;
    browser: { enabled: boolean; reason: string };
  };
}

interface Latency {
  p50: number;
  p95: number;
  samples: number;
}

interface Stats {
  queued: number;
  running: number;
  submitted: number;
  completed: number;
  failed: number;
  cancelled: number;
  waitingMs: Latency;
  turnaroundMs: Latency;
}

export function OverviewPage() {
  const status = useLoad((api) => api.get<Status>("/api/status"));
  const stats = useLoad((api) => api.get<Stats>("/api/scheduler/stats"));
  const audit = useLoad((api) => api.get<{ ok: boolean; entries: number }>("/api/audit/verify"));
  const config = useLoad((api) => api.get<{ values: Record<string, unknown> }>("/api/config"));
  const cap = (key: string) => {
    const value = config.data?.values[key];
    return value === undefined || value === null ? "—" : String(value);
  };
  const runs = useLoad((api) => api.get<{ runs: Run[] }>("/api/runs?order=newest&limit=1000"));
  const last = useRef(0);
  useKernelEvents(() => {
    const now = Date.now();
    if (now - last.current < 1000) return;
    last.current = now;
    stats.reload();
    runs.reload();
    status.reload();
    audit.reload();
  });
  const s = status.data;
  const g = stats.data;
  return (
    <>
      <h1>Overview</h1>
      {status.error === undefined ? null : (
        <p role="alert" class="error">
          {status.error}
        </p>
      )}
      <div class="grid">
        <section class="card" aria-labelledby="health-heading">
          <h2 id="health-heading">Health</h2>
          {s === undefined ? (
            <p>Loading…</p>
          ) : (
            <>
              <p>
                Oxios {s.version}, up {duration(s.uptimeMs)}, model <code>{s.model.spec}</code>, sandbox{" "}
                {s.sandbox.kind}
                {s.sandbox.available ? "" : " (unavailable)"}
              </p>
              <ul class="plain">
                {Object.entries(s.modules).map(([name, state]) => (
                  <li key={name}>
                    <span class={`dot dot-${state === "ok" || state === "ready" ? "ok" : "warn"}`} aria-hidden="true" />
                    {name}: {state}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
        <section class="card" aria-labelledby="scheduler-heading">
          <h2 id="scheduler-heading">Scheduler</h2>
          {g === undefined ? (
            <p>Loading…</p>
          ) : (
            <dl class="gauges">
              <dt>Running (cap)</dt>
              <dd>
                {g.running} of {cap("max_concurrent")}
              </dd>
              <dt>Queued</dt>
              <dd>{g.queued}</dd>
              <dt>Completed</dt>
              <dd>{g.completed}</dd>
              <dt>Failed</dt>
              <dd>{g.failed}</dd>
              <dt>Wait p50 / p95</dt>
              <dd>
                {duration(g.waitingMs.p50)} / {duration(g.waitingMs.p95)}
              </dd>
              <dt>Turnaround p50 / p95</dt>
              <dd>
                {duration(g.turnaroundMs.p50)} / {duration(g.turnaroundMs.p95)}
              </dd>
            </dl>
          )}
        </section>
        <section class="card" aria-labelledby="rate-heading">
          <h2 id="rate-heading">Runs per minute, last hour</h2>
          <RunsPerMinute runs={runs.data?.runs ?? []} />
        </section>
        <section class="card" aria-labelledby="counts-heading">
          <h2 id="counts-heading">Memory and audit</h2>
          <dl class="gauges">
            <dt>Memories</dt>
            <dd>{s?.memory.memories ?? "…"}</dd>
            <dt>Memory mode</dt>
            <dd>{s === undefined ? "…" : `${s.memory.mode} (${s.memory.embedder})`}</dd>
            <dt>Audit entries</dt>
            <dd>{audit.data?.entries ?? "…"}</dd>
            <dt>Audit chain</dt>
            <dd>{audit.data === undefined ? "…" : audit.data.ok ? "intact" : "broken"}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="interop-heading">
          <h2 id="interop-heading">Interop</h2>
          {s === undefined ? (
            <p>Loading…</p>
          ) : (
            <ul class="plain">
              {s.interop.mcp.map((server) => (
                <li key={server.name}>
                  MCP {server.name} ({server.transport}): {server.state}, {server.tools} tools
                  {server.lastError === undefined ? "" : ` — ${server.lastError}`}
                </li>
              ))}
              {s.interop.a2a.map((agent) => (
                <li key={agent.url}>
                  A2A {agent.name ?? agent.url}: {agent.state}
                  {agent.error === undefined ? "" : ` — ${agent.error}`}
                </li>
              ))}
              <li>Browser: {s.interop.browser.enabled ? "enabled" : `off (${s.interop.browser.reason})`}</li>
              {s.interop.mcp.length + s.interop.a2a.length === 0 ? (
                <li>No MCP server or A2A agent configured.</li>
              ) : null}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}

function RunsPerMinute(props: { runs: Run[] }) {
  const now = Date.now();
  const buckets = new Array<number>(60).fill(0);
  for (const run of props.runs) {
    const minutesAgo = Math.floor((now - run.createdAt) / 60_000);
    if (minutesAgo >= 0 && minutesAgo < 60) buckets[59 - minutesAgo] = (buckets[59 - minutesAgo] ?? 0) + 1;
  }
  const peak = Math.max(1, ...buckets);
  const total = buckets.reduce((sum, value) => sum + value, 0);
  return (
    <figure>
      <svg
        viewBox="0 0 240 60"
        class="chart"
        role="img"
        aria-label={`${total} runs in the last hour, at most ${peak} a minute`}
      >
        {buckets.map((count, index) => (
          <rect key={index} x={index * 4} y={60 - (count / peak) * 58} width={3} height={(count / peak) * 58} />
        ))}
      </svg>
      <figcaption>
        {total} runs in the last hour (peak {peak}/min)
      </figcaption>
    </figure>
  );
}
