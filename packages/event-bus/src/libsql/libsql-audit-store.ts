/**
 * LibsqlAuditStore: the durable audit store on a libsql database (`@oxios/database`): WAL with
 * `synchronous = FULL`, so a committed transaction survives a crash of the process (and of the
 * machine). Statements are synchronous: one transaction per `append` batch, which is what
 * makes group commit pay off. Lives on `@oxios/event-bus/libsql` so the main entry carries no
 * native dependency.
 *
 * Tables (prefixed `audit_` so the store can share `oxios.db`): `audit_entries` keyed by seq,
 * and `audit_chain`, one row with the chain's first seq, anchor, last seq and last hash,
 * updated in the same transaction as the entries it describes.
 */

import { KernelError, type Logger } from "@oxios/core";
import {
  acquireDatabase,
  type Database,
  DatabaseErrorCode,
  type DatabaseSource,
  type MigrationSet,
  migrate,
} from "@oxios/database";
import {
  type AuditChainState,
  type AuditEntry,
  EMPTY_CHAIN,
  type JsonValue,
  PRUNED_HASH,
} from "../audit/audit-entry.ts";
import { type AuditQuery, type AuditStore, DEFAULT_QUERY_LIMIT } from "../audit/audit-store.ts";
import { EventBusErrorCode } from "../error-codes.ts";
import { knownCanonicalText } from "../internal/canonical-json.ts";

export type LibsqlAuditStoreOptions = DatabaseSource & {
  /** How long a writer waits for another connection's lock (ms), when the store opens the URL. Default 5,000. */
  busyTimeoutMs?: number;
  /** Receives schema migrations. */
  logger?: Logger;
};

/**
 * The audit tables' schema. Version 1 is written with `IF NOT EXISTS`: files from before the
 * shared migration table already hold these tables, and simply get version 1 recorded.
 */
export const AUDIT_MIGRATIONS: MigrationSet = {
  prefix: "audit_",
  migrations: [
    {
      version: 1,
      sql: `
        CREATE TABLE IF NOT EXISTS audit_entries (
          seq INTEGER PRIMARY KEY,
          at INTEGER NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          resource TEXT NOT NULL,
          details TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS audit_entries_actor ON audit_entries (actor, seq);
        CREATE INDEX IF NOT EXISTS audit_entries_action ON audit_entries (action, seq);
        CREATE INDEX IF NOT EXISTS audit_entries_at ON audit_entries (at);
        CREATE TABLE IF NOT EXISTS audit_chain (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          first_seq INTEGER NOT NULL,
          last_seq INTEGER NOT NULL,
          last_hash TEXT NOT NULL,
          anchor TEXT NOT NULL
        );
      `,
    },
  ],
};

interface EntryRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  resource: string;
  details: string;
  prev_hash: string;
  hash: string;
}

interface ChainRow {
  first_seq: number;
  last_seq: number;
  last_hash: string;
  anchor: string;
}

/** The row counts of the insert statements, largest first; the last must be 1. */
const INSERT_ROWS = [64, 16, 4, 1] as const;
const INSERT_SQL = new Map<number, string>(
  INSERT_ROWS.map((rows) => [
    rows,
    `INSERT INTO audit_entries (seq, at, actor, action, resource, details, prev_hash, hash) VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
  ]),
);
function insertSql(rows: number): string {
  return INSERT_SQL.get(rows) as string;
}

function entryOf(row: EntryRow): AuditEntry {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    details: JSON.parse(row.details) as { [key: string]: JsonValue },
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export class LibsqlAuditStore implements AuditStore {
  readonly #database: Database;
  readonly #release: () => void;
  #closed = false;

  private constructor(database: Database, release: () => void) {
    this.#database = database;
    this.#release = release;
  }

  /**
   * Opens the store on `url` (closed by `close()`) or on a shared `database` (left open), and
   * brings the `audit_` tables to the current schema.
   *
   * Throws: the `DATABASE_*` codes of `openDatabase` and `migrate`.
   */
  static async open(options: LibsqlAuditStoreOptions): Promise<LibsqlAuditStore> {
    const { database, release } = await acquireDatabase(options, {
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    try {
      migrate(database, AUDIT_MIGRATIONS, { ...(options.logger === undefined ? {} : { logger: options.logger }) });
      database.run(
        "INSERT OR IGNORE INTO audit_chain (id, first_seq, last_seq, last_hash, anchor) VALUES (1, ?, ?, ?, ?)",
        [EMPTY_CHAIN.firstSeq, EMPTY_CHAIN.lastSeq, EMPTY_CHAIN.lastHash, EMPTY_CHAIN.anchor],
      );
    } catch (error) {
      release();
      throw error;
    }
    return new LibsqlAuditStore(database, release);
  }

  state(): Promise<AuditChainState> {
    return this.#call(() => this.#chainState());
  }

  append(entries: readonly AuditEntry[], expectedLastSeq: number): Promise<void> {
    return this.#call(() =>
      this.#database.transaction(() => {
        const head = this.#chainState();
        if (head.lastSeq !== expectedLastSeq) {
          throw new KernelError(
            EventBusErrorCode.auditHeadMoved,
            "the audit chain head moved; another writer appended",
            {
              details: { expectedLastSeq, lastSeq: head.lastSeq },
            },
          );
        }
        this.#insert(entries);
      }),
    );
  }

  /**
   * The head is read after `BEGIN IMMEDIATE` took the write lock, so no other connection (no
   * other kernel node on the same sqld) can append between the read and the write. A write
   * lock another writer kept past the busy timeout (`DATABASE_BUSY`; nothing was written) is
   * tried again, three times in all.
   */
  appendOnHead(chain: (head: AuditChainState) => AuditEntry[]): Promise<AuditEntry[]> {
    return this.#call(() => {
      for (let attempt = 1; ; attempt++) {
        try {
          return this.#database.transaction(() => {
            const entries = chain(this.#chainState());
            this.#insert(entries);
            return entries;
          });
        } catch (error) {
          if (attempt >= 3 || !KernelError.hasCode(error, DatabaseErrorCode.busy)) throw error;
        }
      }
    });
  }

  /**
   * Inserts the entries with multi-row statements of 64, 16, 4 and 1 rows (a few statements
   * per transaction instead of one per entry, and only four SQL texts in the statement cache).
   */
  #insert(entries: readonly AuditEntry[]): void {
    let next = 0;
    for (const rows of INSERT_ROWS) {
      while (entries.length - next >= rows) {
        const parameters: Array<string | number> = [];
        for (const entry of entries.slice(next, next + rows)) {
          parameters.push(
            entry.seq,
            entry.at,
            entry.actor,
            entry.action,
            entry.resource,
            // A trail's entries carry canonical details whose JSON is known: not encoded twice.
            knownCanonicalText(entry.details) ?? JSON.stringify(entry.details),
            entry.prevHash,
            entry.hash,
          );
        }
        this.#database.run(insertSql(rows), parameters);
        next += rows;
      }
    }
    const last = entries[entries.length - 1];
    if (last !== undefined) {
      this.#database.run("UPDATE audit_chain SET last_seq = ?, last_hash = ? WHERE id = 1", [last.seq, last.hash]);
    }
  }

  prune(firstSeq: number): Promise<AuditChainState> {
    return this.#call(() =>
      this.#database.transaction(() => {
        const head = this.#chainState();
        if (firstSeq <= head.firstSeq) return head;
        const row = this.#database.get<EntryRow>("SELECT * FROM audit_entries WHERE seq = ?", [firstSeq]);
        if (row === undefined) {
          throw new KernelError(EventBusErrorCode.auditStoreFailed, `cannot prune to seq ${firstSeq}: no such entry`);
        }
        this.#database.run("DELETE FROM audit_entries WHERE seq < ?", [firstSeq]);
        this.#database.run("UPDATE audit_entries SET prev_hash = ? WHERE seq = ?", [PRUNED_HASH, firstSeq]);
        this.#database.run("UPDATE audit_chain SET first_seq = ?, anchor = ? WHERE id = 1", [firstSeq, row.prev_hash]);
        return { ...head, firstSeq, anchor: row.prev_hash };
      }),
    );
  }

  read(fromSeq: number, limit: number): Promise<AuditEntry[]> {
    return this.#call(() =>
      this.#database
        .all<EntryRow>("SELECT * FROM audit_entries WHERE seq >= ? ORDER BY seq LIMIT ?", [fromSeq, Math.max(0, limit)])
        .map(entryOf),
    );
  }

  query(filter: AuditQuery): Promise<AuditEntry[]> {
    return this.#call(() => {
      const where: string[] = [];
      const parameters: Array<string | number> = [];
      if (filter.actor !== undefined) {
        where.push("actor = ?");
        parameters.push(filter.actor);
      }
      if (filter.action !== undefined) {
        where.push("action = ?");
        parameters.push(filter.action);
      }
      if (filter.from !== undefined) {
        where.push("at >= ?");
        parameters.push(filter.from);
      }
      if (filter.to !== undefined) {
        where.push("at < ?");
        parameters.push(filter.to);
      }
      if (filter.afterSeq !== undefined) {
        where.push("seq > ?");
        parameters.push(filter.afterSeq);
      }
      parameters.push(filter.limit ?? DEFAULT_QUERY_LIMIT);
      const sql = `SELECT * FROM audit_entries ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq LIMIT ?`;
      return this.#database.all<EntryRow>(sql, parameters).map(entryOf);
    });
  }

  /** Closes the database when this store opened it; a shared one stays open. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#call(() => {
      this.#closed = true;
      this.#release();
    });
  }

  #chainState(): AuditChainState {
    const row = this.#database.get<ChainRow>(
      "SELECT first_seq, last_seq, last_hash, anchor FROM audit_chain WHERE id = 1",
    );
    if (row === undefined) throw new KernelError(EventBusErrorCode.auditStoreFailed, "the audit_chain row is missing");
    return {
      firstSeq: Number(row.first_seq),
      lastSeq: Number(row.last_seq),
      lastHash: row.last_hash,
      anchor: row.anchor,
    };
  }

  /** Runs a synchronous operation as a promise; database failures keep their `DATABASE_*` code. */
  #call<T>(operation: () => T): Promise<T> {
    if (this.#closed)
      return Promise.reject(new KernelError(EventBusErrorCode.auditStoreClosed, "the audit store is closed"));
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(KernelError.from(error, EventBusErrorCode.auditStoreFailed));
    }
  }
}
