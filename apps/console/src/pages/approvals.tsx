/** Approvals: pending tool calls with their input, approved or rejected with a reason. */

import { useState } from "preact/hooks";
import { useKernelEvents, useLoad, useSession } from "../context.ts";
import { duration, json, message } from "../format.ts";
import type { Approval } from "../types.ts";

export function ApprovalsPage() {
  const [show, setShow] = useState("pending");
  const approvals = useLoad(
    (api) => api.get<{ approvals: Approval[] }>(`/api/approvals?status=${show}&limit=200`),
    [show],
  );
  useKernelEvents((event) => {
    if (event.type.startsWith("approval.")) approvals.reload();
  });
  const list = approvals.data?.approvals ?? [];
  return (
    <>
      <h1>Approvals</h1>
      <label>
        Show
        <select value={show} onChange={(event) => setShow(event.currentTarget.value)}>
          <option value="pending">pending</option>
          <option value="all">all</option>
        </select>
      </label>
      {approvals.error === undefined ? null : (
        <p role="alert" class="error">
          {approvals.error}
        </p>
      )}
      {list.length === 0 ? <p>No {show === "pending" ? "pending " : ""}approval.</p> : null}
      {list.map((approval) => (
        <ApprovalCard key={approval.approvalId} approval={approval} onDecided={approvals.reload} />
      ))}
    </>
  );
}

function ApprovalCard(props: { approval: Approval; onDecided: () => void }) {
  const { api } = useSession();
  const { approval } = props;
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const decide = async (decision: "approve" | "reject") => {
    try {
      await api.post(`/api/approvals/${encodeURIComponent(approval.approvalId)}/${decision}`, {
        ...(reason.trim() === "" ? {} : { reason: reason.trim() }),
        by: "console",
      });
      props.onDecided();
    } catch (failure) {
      setError(message(failure));
    }
  };
  const headingId = `approval-${approval.approvalId}`;
  return (
    <section class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {approval.tool} for {approval.profile ?? approval.agentId}
      </h2>
      <p>
        {approval.reason} · waiting {duration(approval.ageMs)} · {approval.status}
        {approval.decidedBy === undefined ? "" : ` by ${approval.decidedBy}`}
        {approval.decisionReason === undefined ? "" : ` (${approval.decisionReason})`}
      </p>
      <pre>{json(approval.input)}</pre>
      {approval.status === "pending" ? (
        <div class="row">
          <label>
            Reason
            <input value={reason} onInput={(event) => setReason(event.currentTarget.value)} />
          </label>
          <button type="button" onClick={() => decide("approve")}>
            Approve
          </button>
          <button type="button" class="danger" onClick={() => decide("reject")}>
            Reject
          </button>
        </div>
      ) : null}
      {error === undefined ? null : (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </section>
  );
}
