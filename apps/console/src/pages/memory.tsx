/** Memory: hybrid search (score and the stage that found each hit), add, forget, tiers. */

import { useState } from "preact/hooks";
import { useLoad, useSession } from "../context.ts";
import { message } from "../format.ts";
import { ScrollRegion } from "../scroll-region.tsx";
import type { Memory, MemoryHit } from "../types.ts";

function stage(hit: MemoryHit): string {
  if (hit.vectorRank !== undefined && hit.keywordRank !== undefined)
    return `vector #${hit.vectorRank} + keyword #${hit.keywordRank}`;
  if (hit.vectorRank !== undefined) return `vector #${hit.vectorRank}`;
  if (hit.keywordRank !== undefined) return `keyword #${hit.keywordRank}`;
  return "—";
}

export function MemoryPage() {
  const { api } = useSession();
  const recent = useLoad((client) => client.get<{ memories: Memory[] }>("/api/memory?limit=50"));
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<MemoryHit[] | undefined>(undefined);
  const [content, setContent] = useState("");
  const [notice, setNotice] = useState<{ text: string; error: boolean } | undefined>(undefined);
  const search = async (event: Event) => {
    event.preventDefault();
    try {
      const result = await api.post<{ results: MemoryHit[] }>("/api/memory/search", { query, limit: 20 });
      setHits(result.results);
    } catch (failure) {
      setNotice({ text: `Search failed: ${message(failure)}`, error: true });
    }
  };
  const add = async (event: Event) => {
    event.preventDefault();
    try {
      await api.post("/api/memory", { content });
      setContent("");
      setNotice({ text: "Memory stored.", error: false });
      recent.reload();
    } catch (failure) {
      setNotice({ text: `Not stored: ${message(failure)}`, error: true });
    }
  };
  const forget = async (id: string) => {
    try {
      await api.delete(`/api/memory/${encodeURIComponent(id)}`);
      setHits((current) => current?.filter((hit) => hit.id !== id));
      setNotice({ text: "Memory forgotten.", error: false });
      recent.reload();
    } catch (failure) {
      setNotice({ text: `Not forgotten: ${message(failure)}`, error: true });
    }
  };
  return (
    <>
      <h1>Memory</h1>
      {notice === undefined ? null : (
        <p role={notice.error ? "alert" : "status"} class={notice.error ? "error" : undefined}>
          {notice.text}
        </p>
      )}
      <section class="card" aria-labelledby="search-heading">
        <h2 id="search-heading">Search</h2>
        <form onSubmit={search} class="row">
          <label>
            Query
            <input type="search" required value={query} onInput={(event) => setQuery(event.currentTarget.value)} />
          </label>
          <button type="submit">Search</button>
        </form>
        {hits === undefined ? null : hits.length === 0 ? (
          <p>No memory matches.</p>
        ) : (
          <MemoryTable memories={hits} onForget={forget} scored />
        )}
      </section>
      <section class="card" aria-labelledby="add-heading">
        <h2 id="add-heading">Add a memory</h2>
        <form onSubmit={add} class="stack">
          <label for="memory-content">Content</label>
          <textarea
            id="memory-content"
            required
            rows={2}
            value={content}
            onInput={(event) => setContent(event.currentTarget.value)}
          />
          <button type="submit">Add memory</button>
        </form>
      </section>
      <section class="card" aria-labelledby="recent-heading">
        <h2 id="recent-heading">Recent memories</h2>
        <MemoryTable memories={recent.data?.memories ?? []} onForget={forget} />
      </section>
    </>
  );
}

function MemoryTable(props: { memories: Array<Memory | MemoryHit>; onForget: (id: string) => void; scored?: boolean }) {
  if (props.memories.length === 0) return <p>No memory.</p>;
  return (
    <ScrollRegion label={props.scored === true ? "Search results" : "Recent memories"}>
      <table>
        <thead>
          <tr>
            <th scope="col">Content</th>
            <th scope="col">Type</th>
            <th scope="col">Tier</th>
            {props.scored === true ? <th scope="col">Score</th> : null}
            {props.scored === true ? <th scope="col">Found by</th> : null}
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.memories.map((memory) => (
            <tr key={memory.id}>
              <td>{memory.content}</td>
              <td>{memory.type}</td>
              <td>{memory.tier}</td>
              {"score" in memory ? <td>{memory.score.toFixed(3)}</td> : null}
              {"score" in memory ? <td>{stage(memory)}</td> : null}
              <td>
                <button type="button" class="quiet" onClick={() => props.onForget(memory.id)}>
                  Forget<span class="visually-hidden"> “{memory.content.slice(0, 40)}”</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
