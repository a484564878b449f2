/** Audit: verify the hash chain (the first bad seq when broken), browse entries, export JSON lines. */

import { useState } from "preact/hooks";
import { useLoad, useSession } from "../context.ts";
import { message } from "../format.ts";
import type { AuditEntry } from "../types.ts";
import { AuditTable } from "./run-detail.tsx";

const PAGE = 100;

interface Verification {
  ok: boolean;
  entries: number;
  firstBadSeq?: number;
  reason?: string;
}

export function AuditPage() {
  const { api } = useSession();
  const [from, setFrom] = useState(1);
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const entries = useLoad(
    (client) => {
      const parameters = new URLSearchParams({ from: String(from), limit: String(PAGE) });
      if (actor !== "") parameters.set("actor", actor);
      if (action !== "") parameters.set("action", action);
      return client.get<{ entries: AuditEntry[] }>(`/api/audit?${parameters}`);
    },
    [from, actor, action],
  );
  const [verification, setVerification] = useState<Verification | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const verify = async () => {
    try {
      setVerification(await api.get<Verification>("/api/audit/verify"));
    } catch (failure) {
      setError(message(failure));
    }
  };
  const exportLines = async () => {
    try {
      const response = await api.raw("/api/audit/export");
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = "oxios-audit.jsonl";
      link.click();
      URL.revokeObjectURL(url);
    } catch (failure) {
      setError(message(failure));
    }
  };
  const list = entries.data?.entries ?? [];
  return (
    <>
      <h1>Audit</h1>
      <section class="card" aria-labelledby="verify-heading">
        <h2 id="verify-heading">Hash chain</h2>
        <div class="row">
          <button type="button" onClick={verify}>
            Verify chain
          </button>
          <button type="button" class="quiet" onClick={exportLines}>
            Export JSONL
          </button>
        </div>
        {verification === undefined ? null : (
          <p role="status" class={verification.ok ? "ok" : "error"}>
            {verification.ok
              ? `Chain intact: ${verification.entries} entries verified.`
              : `Chain broken at seq ${verification.firstBadSeq ?? "?"}: ${verification.reason ?? "hash mismatch"}`}
          </p>
        )}
        {error === undefined ? null : (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </section>
      <section class="card" aria-labelledby="entries-heading">
        <h2 id="entries-heading">Entries</h2>
        <div class="row">
          <label>
            Actor
            <input value={actor} onChange={(event) => setActor(event.currentTarget.value.trim())} />
          </label>
          <label>
            Action
            <input value={action} onChange={(event) => setAction(event.currentTarget.value.trim())} />
          </label>
          <button type="button" disabled={from <= 1} onClick={() => setFrom(Math.max(1, from - PAGE))}>
            Previous page
          </button>
          <button type="button" disabled={list.length < PAGE} onClick={() => setFrom((list.at(-1)?.seq ?? from) + 1)}>
            Next page
          </button>
        </div>
        <AuditTable entries={list} />
      </section>
    </>
  );
}
