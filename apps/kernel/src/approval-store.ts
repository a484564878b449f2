/**
 * LibsqlApprovalStore: the tools gate's approval records in `oxios.db` (table
 * `approval_requests`, prefix `approval_`), through `@oxios/database`. Each record is one row
 * keyed by its id, with the fields a run journal needs to find it again (run, call, agent,
 * profile) as columns and the call's redacted input as JSON. Every write is its own committed
 * statement: a decision that returned is on disk.
 */

import type { Logger } from "@oxios/core";
import { acquireDatabase, type Database, type DatabaseSource, type MigrationSet, migrate } from "@oxios/database";
import type { ApprovalRecord, ApprovalStatus, ApprovalStore } from "@oxios/tools";

interface Row {
  approval_id: string;
  agent_id: string;
  run_id: string | null;
  call_id: string | null;
  profile: string | null;
  tool: string;
  input: string | null;
  reason: string;
  requested_at: number;
  deadline_at: number;
  default_decision: string;
  status: string;
  decided_by: string | null;
  decided_at: number | null;
  decision_reason: string | null;
}

export const APPROVAL_MIGRATIONS: MigrationSet = {
  prefix: "approval_",
  migrations: [
    {
      version: 1,
      sql: `
        CREATE TABLE approval_requests (
          approval_id TEXT PRIMARY KEY,
          agent_id TEXT NOT NULL,
          run_id TEXT,
          call_id TEXT,
          profile TEXT,
          tool TEXT NOT NULL,
          input TEXT,
          reason TEXT NOT NULL,
          requested_at INTEGER NOT NULL,
          deadline_at INTEGER NOT NULL,
          default_decision TEXT NOT NULL,
          status TEXT NOT NULL,
          decided_by TEXT,
          decided_at INTEGER,
          decision_reason TEXT
        );
        CREATE INDEX approval_requests_by_status ON approval_requests (status, requested_at);
        CREATE INDEX approval_requests_by_run ON approval_requests (run_id);
      `,
    },
  ],
};

const UPSERT = `INSERT INTO approval_requests (approval_id, agent_id, run_id, call_id, profile, tool, input, reason,
  requested_at, deadline_at, default_decision, status, decided_by, decided_at, decision_reason)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (approval_id) DO UPDATE SET status = excluded.status, decided_by = excluded.decided_by,
  decided_at = excluded.decided_at, decision_reason = excluded.decision_reason`;

export class LibsqlApprovalStore implements ApprovalStore {
  readonly #database: Database;
  readonly #release: () => void;
  readonly #logger: Logger | undefined;

  private constructor(database: Database, release: () => void, logger: Logger | undefined) {
    this.#database = database;
    this.#release = release;
    this.#logger = logger;
  }

  /** Opens the store on `url` or a shared `database`. Throws the `DATABASE_*` codes. */
  static async open(options: DatabaseSource & { logger?: Logger }): Promise<LibsqlApprovalStore> {
    const { database, release } = await acquireDatabase(
      options,
      options.logger === undefined ? {} : { logger: options.logger },
    );
    try {
      migrate(database, APPROVAL_MIGRATIONS, options.logger === undefined ? {} : { logger: options.logger });
    } catch (error) {
      release();
      throw error;
    }
    return new LibsqlApprovalStore(database, release, options.logger);
  }

  insert(record: ApprovalRecord): void {
    this.#write(record);
  }

  update(record: ApprovalRecord): void {
    this.#write(record);
  }

  get(approvalId: string): ApprovalRecord | undefined {
    const row = this.#database.get<Row>("SELECT * FROM approval_requests WHERE approval_id = ?", [approvalId]);
    return row === undefined ? undefined : this.#decode(row);
  }

  list(query: { status?: ApprovalStatus; limit: number }): ApprovalRecord[] {
    const limit = Math.min(query.limit, Number.MAX_SAFE_INTEGER);
    const rows =
      query.status === undefined
        ? this.#database.all<Row>(
            "SELECT * FROM approval_requests ORDER BY requested_at DESC, approval_id DESC LIMIT ?",
            [limit],
          )
        : this.#database.all<Row>(
            "SELECT * FROM approval_requests WHERE status = ? ORDER BY requested_at DESC, approval_id DESC LIMIT ?",
            [query.status, limit],
          );
    return rows.map((row) => this.#decode(row));
  }

  async close(): Promise<void> {
    this.#release();
  }

  #write(record: ApprovalRecord): void {
    this.#database.run(UPSERT, [
      record.approvalId,
      record.agentId,
      record.runId ?? null,
      record.callId ?? null,
      record.profile ?? null,
      record.tool,
      record.input === undefined ? null : JSON.stringify(record.input),
      record.reason,
      record.requestedAt,
      record.deadlineAt,
      record.defaultDecision,
      record.status,
      record.decidedBy ?? null,
      record.decidedAt ?? null,
      record.decisionReason ?? null,
    ]);
  }

  #decode(row: Row): ApprovalRecord {
    let input: unknown;
    if (row.input !== null) {
      try {
        input = JSON.parse(row.input);
      } catch (error) {
        this.#logger?.warn("approval input is not JSON; shown as text", { approvalId: row.approval_id, error });
        input = row.input;
      }
    }
    return {
      approvalId: row.approval_id,
      agentId: row.agent_id,
      tool: row.tool,
      reason: row.reason,
      requestedAt: Number(row.requested_at),
      deadlineAt: Number(row.deadline_at),
      defaultDecision: row.default_decision === "approve" ? "approve" : "reject",
      status: row.status as ApprovalStatus,
      ...(row.run_id === null ? {} : { runId: row.run_id }),
      ...(row.call_id === null ? {} : { callId: row.call_id }),
      ...(row.profile === null ? {} : { profile: row.profile }),
      ...(input === undefined ? {} : { input }),
      ...(row.decided_by === null ? {} : { decidedBy: row.decided_by }),
      ...(row.decided_at === null ? {} : { decidedAt: Number(row.decided_at) }),
      ...(row.decision_reason === null ? {} : { decisionReason: row.decision_reason }),
    };
  }
}
