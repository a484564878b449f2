/** Agents: live agents with their status (kill one), and the agent profiles, read-only. */

import { useState } from "preact/hooks";
import { useKernelEvents, useLoad, useSession } from "../context.ts";
import { dateTime, message } from "../format.ts";
import { ScrollRegion } from "../scroll-region.tsx";
import type { Agent, Profile } from "../types.ts";

export function AgentsPage() {
  const { api } = useSession();
  const agents = useLoad((client) => client.get<{ agents: Agent[] }>("/api/agents"));
  const profiles = useLoad((client) => client.get<{ profiles: Profile[] }>("/api/agents/profiles"));
  const [error, setError] = useState<string | undefined>(undefined);
  useKernelEvents((event) => {
    if (event.type.startsWith("agent.")) agents.reload();
  });
  const kill = async (id: string) => {
    try {
      await api.post(`/api/agents/${encodeURIComponent(id)}/kill`);
      agents.reload();
    } catch (failure) {
      setError(message(failure));
    }
  };
  return (
    <>
      <h1>Agents</h1>
      {error === undefined ? null : (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <section class="card" aria-labelledby="live-agents-heading">
        <h2 id="live-agents-heading">Live agents</h2>
        <ScrollRegion label="Live agents">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Runs</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(agents.data?.agents ?? []).map((agent) => (
                <tr key={agent.id}>
                  <td>{agent.name}</td>
                  <td>
                    {agent.status}
                    {agent.lastError === undefined ? "" : ` (${agent.lastError.code})`}
                  </td>
                  <td>{agent.runs}</td>
                  <td>{dateTime(agent.createdAt)}</td>
                  <td>
                    {agent.status === "stopped" || agent.status === "failed" ? null : (
                      <button type="button" class="danger" onClick={() => kill(agent.id)}>
                        Kill<span class="visually-hidden"> {agent.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      </section>
      <section class="card" aria-labelledby="profiles-heading">
        <h2 id="profiles-heading">Agent profiles</h2>
        {(profiles.data?.profiles ?? []).length === 0 ? <p>No profile in config.toml.</p> : null}
        {(profiles.data?.profiles ?? []).map((profile) => (
          <details key={profile.name}>
            <summary>
              {profile.name} — {profile.description ?? profile.model}
            </summary>
            <pre>{JSON.stringify(profile, null, 2)}</pre>
          </details>
        ))}
      </section>
    </>
  );
}
