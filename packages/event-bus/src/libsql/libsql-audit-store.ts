/**
 * LibsqlAuditStore: the durable audit store, an embedded libsql file (`file:` URL) in WAL
 * mode with `synchronous = FULL`, so a committed transaction survives a crash of the process
 * (and of the machine). Uses libsql's synchronous API: one transaction per `append` batch,
 * which is what makes group commit pay off. Lives on `@oxios/event-bus/libsql` so the main
 * entry carries no native dependency.
 *
 * Tables (prefixed `audit_` so the store can share `oxios.db`): `audit_entries` keyed by seq,
 * and `audit_chain`, one row with the chain's first seq, anchor, last seq and last hash,
 * updated in the same transaction as the entries it describes.
 */

import { KernelError, localDatabasePath } from "@oxios/core";
import Database from "libsql";
import {
  type AuditChainState,
  type AuditEntry,
  EMPTY_CHAIN,
  type JsonValue,
  PRUNED_HASH,
} from "../audit/audit-entry.ts";
import { type AuditQuery, type AuditStore, DEFAULT_QUERY_LIMIT } from "../audit/audit-store.ts";

export interface LibsqlAuditStoreOptions {
  /** `file:/path/to/oxios.db`, a plain path, or `:memory:`. */
  url: string;
  /** How long a writer waits for another connection's lock (ms). Default 5,000. */
  busyTimeoutMs?: number;
}

type Statement = ReturnType<Database.Database["prepare"]>;

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

/** Every statement runs through here: parameters always travel as one array (a lone typed array panics libsql). */
function all<Row>(statement: Statement, parameters: readonly unknown[]): Row[] {
  return statement.all([...parameters]) as Row[];
}

function run(statement: Statement, parameters: readonly unknown[]): void {
  statement.run([...parameters]);
}

function pathOf(url: string): string {
  const path = localDatabasePath(url);
  if (path === undefined) {
    throw new KernelError("AUDIT_STORE_URL_INVALID", `the libsql audit store takes a file: URL, not ${url}`, {
      details: { url },
    });
  }
  return path;
}

function translate(error: unknown, what: string): KernelError {
  if (KernelError.isInstance(error)) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return new KernelError("AUDIT_STORE_FAILED", `libsql audit store could not ${what}: ${message}`, {
    cause: error,
    details: typeof code === "string" ? { sqliteCode: code } : {},
  });
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
  readonly #db: Database.Database;
  readonly #statements: {
    chain: Statement;
    insert: Statement;
    setHead: Statement;
    read: Statement;
    entryAt: Statement;
    deleteBefore: Statement;
    markPruned: Statement;
    setFirst: Statement;
  };
  readonly #append: (entries: readonly AuditEntry[], expectedLastSeq: number) => void;
  readonly #prune: (firstSeq: number) => AuditChainState;
  #closed = false;

  constructor(options: LibsqlAuditStoreOptions) {
    const path = pathOf(options.url);
    try {
      this.#db = new Database(path);
      this.#db.pragma("journal_mode = WAL");
      this.#db.pragma("synchronous = FULL");
      this.#db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      this.#db.exec(`
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
      `);
      run(
        this.#db.prepare(
          "INSERT OR IGNORE INTO audit_chain (id, first_seq, last_seq, last_hash, anchor) VALUES (1, ?, ?, ?, ?)",
        ),
        [EMPTY_CHAIN.firstSeq, EMPTY_CHAIN.lastSeq, EMPTY_CHAIN.lastHash, EMPTY_CHAIN.anchor],
      );
      this.#statements = {
        chain: this.#db.prepare("SELECT first_seq, last_seq, last_hash, anchor FROM audit_chain WHERE id = 1"),
        insert: this.#db.prepare(
          "INSERT INTO audit_entries (seq, at, actor, action, resource, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ),
        setHead: this.#db.prepare("UPDATE audit_chain SET last_seq = ?, last_hash = ? WHERE id = 1"),
        read: this.#db.prepare("SELECT * FROM audit_entries WHERE seq >= ? ORDER BY seq LIMIT ?"),
        entryAt: this.#db.prepare("SELECT * FROM audit_entries WHERE seq = ?"),
        deleteBefore: this.#db.prepare("DELETE FROM audit_entries WHERE seq < ?"),
        markPruned: this.#db.prepare("UPDATE audit_entries SET prev_hash = ? WHERE seq = ?"),
        setFirst: this.#db.prepare("UPDATE audit_chain SET first_seq = ?, anchor = ? WHERE id = 1"),
      };
    } catch (error) {
      throw translate(error, `open ${path}`);
    }
    this.#append = this.#db.transaction((entries: readonly AuditEntry[], expectedLastSeq: number) => {
      const head = this.#chainState();
      if (head.lastSeq !== expectedLastSeq) {
        throw new KernelError("AUDIT_HEAD_MOVED", "the audit chain head moved; another writer appended", {
          details: { expectedLastSeq, lastSeq: head.lastSeq },
        });
      }
      for (const entry of entries) {
        run(this.#statements.insert, [
          entry.seq,
          entry.at,
          entry.actor,
          entry.action,
          entry.resource,
          JSON.stringify(entry.details),
          entry.prevHash,
          entry.hash,
        ]);
      }
      const last = entries[entries.length - 1];
      if (last !== undefined) run(this.#statements.setHead, [last.seq, last.hash]);
    }).immediate as (entries: readonly AuditEntry[], expectedLastSeq: number) => void;
    this.#prune = this.#db.transaction((firstSeq: number) => {
      const head = this.#chainState();
      if (firstSeq <= head.firstSeq) return head;
      const [row] = all<EntryRow>(this.#statements.entryAt, [firstSeq]);
      if (row === undefined) {
        throw new KernelError("AUDIT_STORE_FAILED", `cannot prune to seq ${firstSeq}: no such entry`);
      }
      run(this.#statements.deleteBefore, [firstSeq]);
      run(this.#statements.markPruned, [PRUNED_HASH, firstSeq]);
      run(this.#statements.setFirst, [firstSeq, row.prev_hash]);
      return { ...head, firstSeq, anchor: row.prev_hash };
    }).immediate as (firstSeq: number) => AuditChainState;
  }

  state(): Promise<AuditChainState> {
    return this.#call("read the chain head", () => this.#chainState());
  }

  append(entries: readonly AuditEntry[], expectedLastSeq: number): Promise<void> {
    return this.#call("append", () => this.#append(entries, expectedLastSeq));
  }

  prune(firstSeq: number): Promise<AuditChainState> {
    return this.#call("prune", () => this.#prune(firstSeq));
  }

  read(fromSeq: number, limit: number): Promise<AuditEntry[]> {
    return this.#call("read", () => all<EntryRow>(this.#statements.read, [fromSeq, Math.max(0, limit)]).map(entryOf));
  }

  query(filter: AuditQuery): Promise<AuditEntry[]> {
    return this.#call("query", () => {
      const where: string[] = [];
      const parameters: unknown[] = [];
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
      return all<EntryRow>(this.#db.prepare(sql), parameters).map(entryOf);
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#call("close", () => {
      this.#closed = true;
      this.#db.close();
    });
  }

  #chainState(): AuditChainState {
    const [row] = all<ChainRow>(this.#statements.chain, []);
    if (row === undefined) throw new KernelError("AUDIT_STORE_FAILED", "the audit_chain row is missing");
    return {
      firstSeq: Number(row.first_seq),
      lastSeq: Number(row.last_seq),
      lastHash: row.last_hash,
      anchor: row.anchor,
    };
  }

  #call<T>(what: string, operation: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new KernelError("AUDIT_STORE_CLOSED", "the audit store is closed"));
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(translate(error, what));
    }
  }
}
