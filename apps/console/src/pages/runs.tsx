/**
 * Runs: submit a goal (agent profile, space), and every run of the kernel newest first — paged
 * from `GET /api/runs` as the list scrolls, filtered by status and agent, kept live from the
 * event stream (any event naming a task refreshes that run).
 */

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { useKernelEvents, useLoad, useSession } from "../context.ts";
import { message, time } from "../format.ts";
import { href } from "../router.ts";
import type { Profile, Run, RunStatus, Space } from "../types.ts";
import { VirtualList } from "../virtual-list.tsx";

const PAGE = 200;
const STATUSES: RunStatus[] = ["queued", "running", "completed", "failed", "cancelled"];

export function RunsPage() {
  return (
    <>
      <h1>Runs</h1>
      <SubmitGoal />
      <RunList />
    </>
  );
}

function SubmitGoal() {
  const { api } = useSession();
  const profiles = useLoad((client) => client.get<{ profiles: Profile[] }>("/api/agents/profiles"));
  const spaces = useLoad((client) => client.get<{ spaces: Space[] }>("/api/spaces"));
  const [goal, setGoal] = useState("");
  const [agent, setAgent] = useState("");
  const [space, setSpace] = useState("");
  const [outcome, setOutcome] = useState<{ text: string; error: boolean } | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const started = await api.post<{ taskId: string }>("/api/runs", {
        goal,
        ...(agent === "" ? {} : { agent }),
        ...(space === "" ? {} : { spaceId: space }),
      });
      setGoal("");
      setOutcome({ text: `Run ${started.taskId} submitted.`, error: false });
    } catch (failure) {
      setOutcome({ text: `The run was not started: ${message(failure)}`, error: true });
    }
  };
  return (
    <section aria-labelledby="submit-heading" class="card">
      <h2 id="submit-heading">Submit a goal</h2>
      <form onSubmit={submit} class="stack">
        <label for="goal">Goal</label>
        <textarea id="goal" required rows={2} value={goal} onInput={(event) => setGoal(event.currentTarget.value)} />
        <div class="row">
          <label>
            Agent profile
            <select value={agent} onChange={(event) => setAgent(event.currentTarget.value)}>
              <option value="">default</option>
              {(profiles.data?.profiles ?? []).map((profile) => (
                <option key={profile.name} value={profile.name}>
                  {profile.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Space
            <select value={space} onChange={(event) => setSpace(event.currentTarget.value)}>
              <option value="">default</option>
              {(spaces.data?.spaces ?? []).map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Submit</button>
        </div>
      </form>
      {outcome === undefined ? null : (
        <p role={outcome.error ? "alert" : "status"} class={outcome.error ? "error" : undefined}>
          {outcome.text}
        </p>
      )}
    </section>
  );
}

interface Filter {
  status: string;
  agent: string;
}

function query(filter: Filter, offset: number): string {
  const parameters = new URLSearchParams({ order: "newest", offset: String(offset), limit: String(PAGE) });
  if (filter.status !== "") parameters.set("status", filter.status);
  if (filter.agent !== "") parameters.set("agent", filter.agent);
  return `/api/runs?${parameters}`;
}

function matches(run: Run, filter: Filter): boolean {
  return (filter.status === "" || run.status === filter.status) && (filter.agent === "" || run.agent === filter.agent);
}

function RunList() {
  const { api } = useSession();
  const profiles = useLoad((client) => client.get<{ profiles: Profile[] }>("/api/agents/profiles"));
  const [filter, setFilter] = useState<Filter>({ status: "", agent: "" });
  const [runs, setRuns] = useState<Run[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | undefined>(undefined);
  const loading = useRef(false);
  const generation = useRef(0);
  const known = useRef(new Set<string>());

  const loadPage = useCallback(
    async (offset: number) => {
      if (loading.current) return;
      loading.current = true;
      const mine = generation.current;
      try {
        const page = await api.get<{ runs: Run[]; total: number }>(query(filter, offset));
        if (mine !== generation.current) return;
        setTotal(page.total);
        // Only the new page is looked at: `known` holds every id in the list already.
        const fresh = page.runs.filter((run) => !known.current.has(run.taskId));
        for (const run of fresh) known.current.add(run.taskId);
        setRuns((current) => current.concat(fresh));
        setError(undefined);
      } catch (failure) {
        setError(message(failure));
      } finally {
        loading.current = false;
      }
    },
    [api, filter],
  );

  useEffect(() => {
    generation.current += 1;
    loading.current = false;
    known.current = new Set();
    setRuns([]);
    setTotal(0);
    void loadPage(0);
  }, [loadPage]);

  const pending = useRef(new Set<string>());
  useKernelEvents((event) => {
    const taskId = event.payload.taskId;
    if (typeof taskId !== "string" || pending.current.has(taskId)) return;
    pending.current.add(taskId);
    api.get<Run>(`/api/runs/${encodeURIComponent(taskId)}`).then(
      (run) => {
        pending.current.delete(taskId);
        setRuns((current) => {
          const index = current.findIndex((item) => item.taskId === taskId);
          if (!matches(run, filter)) {
            if (index < 0) return current;
            setTotal((value) => value - 1);
            return current.filter((item) => item.taskId !== taskId);
          }
          if (index < 0) {
            known.current.add(taskId);
            setTotal((value) => value + 1);
            return [run, ...current];
          }
          const next = current.slice();
          next[index] = run;
          return next;
        });
      },
      () => {
        // Not a direct run (a chat's or a schedule's task before its run is journalled): nothing to show.
        pending.current.delete(taskId);
      },
    );
  });

  const onNearEnd = useCallback(() => {
    if (runs.length < total) void loadPage(runs.length);
  }, [runs.length, total, loadPage]);

  return (
    <section aria-labelledby="runs-heading" class="card">
      <h2 id="runs-heading">All runs</h2>
      <div class="row">
        <label>
          Status
          <select
            value={filter.status}
            onChange={(event) => setFilter({ ...filter, status: event.currentTarget.value })}
          >
            <option value="">any</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <label>
          Agent
          <select value={filter.agent} onChange={(event) => setFilter({ ...filter, agent: event.currentTarget.value })}>
            <option value="">any</option>
            {(profiles.data?.profiles ?? []).map((profile) => (
              <option key={profile.name} value={profile.name}>
                {profile.name}
              </option>
            ))}
          </select>
        </label>
        <span role="status">
          {total} {total === 1 ? "run" : "runs"}
        </span>
      </div>
      {error === undefined ? null : (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="run-row run-head" aria-hidden="true">
        <span>Status</span>
        <span>Goal</span>
        <span>Agent</span>
        <span>Created</span>
      </div>
      <VirtualList
        items={runs}
        total={total}
        rowHeight={40}
        height={480}
        label="Runs, newest first"
        keyOf={(run) => run.taskId}
        onNearEnd={onNearEnd}
        row={(run) => (
          <a class="run-row" href={href("runs", run.taskId)}>
            <span class={`badge badge-${run.status}`}>{run.status}</span>
            <span class="goal">{run.goal}</span>
            <span>{run.agent ?? "default"}</span>
            <span>{time(run.createdAt)}</span>
          </a>
        )}
      />
    </section>
  );
}
