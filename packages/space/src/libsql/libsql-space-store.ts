/**
 * SpaceStore on a libsql database (sync `libsql` API; loads on Node, Bun and Deno). Give it
 * a file path, or a `Database` the kernel already opened (for example the memory database),
 * in which case the caller keeps ownership and `close()` leaves it open.
 *
 * Every statement goes through `#run`/`#all`/`#get`, which always bind parameters as an
 * array (libsql aborts the process on a lone typed-array argument) and translate libsql
 * errors into KernelError codes. Multi-statement changes run in one transaction. A row that
 * fails to decode is logged with its id and counted in `corruptRows`, never dropped silently.
 */

import { KernelError, type Logger } from "@oxios/core";
import Database from "libsql";
import { type Space, type SpaceSource, spaceNameKey } from "../space.ts";
import type { ConversationTurn, SpaceStore, TurnRole } from "../space-store.ts";
import { SPACE_MIGRATIONS, SPACE_SCHEMA_VERSION } from "./migrations.ts";

type LibsqlDatabase = Database.Database;
type SqlValue = string | number | bigint | null;
type Row = Record<string, unknown>;

export interface LibsqlSpaceStoreOptions {
  /** Receives corrupt-row reports. */
  logger?: Logger;
}

export interface OpenLibsqlSpaceStoreOptions extends LibsqlSpaceStoreOptions {
  /** How long a write waits for another connection's lock, in ms; default 5000. */
  busyTimeoutMs?: number;
}

const roles: readonly string[] = ["user", "assistant", "system", "tool"];

function translate(error: unknown, operation: string): KernelError {
  if (KernelError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT")) {
    if (message.includes("space_spaces.name_key")) {
      return new KernelError("SPACE_NAME_TAKEN", "a space with that name already exists", { cause: error });
    }
    if (message.includes("space_spaces.id")) {
      return new KernelError("SPACE_ID_TAKEN", "a space with that id already exists", { cause: error });
    }
  }
  return new KernelError("SPACE_STORE_FAILED", `space store: ${operation} failed: ${message}`, {
    cause: error,
    details: { operation, sqliteCode: typeof code === "string" ? code : undefined },
  });
}

function parseStringArray(text: unknown): string[] | undefined {
  if (typeof text !== "string") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Decoding failure is reported by the caller with the row's id.
    return undefined;
  }
  return Array.isArray(value) && value.every((item) => typeof item === "string") ? value : undefined;
}

export class LibsqlSpaceStore implements SpaceStore {
  readonly #db: LibsqlDatabase;
  #owned = false;
  readonly #logger: Logger | undefined;
  readonly #statements = new Map<string, Database.Statement>();
  #corruptRows = 0;

  /** Uses an open database; the caller keeps ownership. Applies pending migrations. */
  constructor(db: LibsqlDatabase, options: LibsqlSpaceStoreOptions = {}) {
    this.#db = db;
    this.#logger = options.logger;
    this.#migrate();
  }

  /** Opens (creating if needed) the database file at `path` in WAL mode; `close()` closes it. */
  static open(path: string, options: OpenLibsqlSpaceStoreOptions = {}): LibsqlSpaceStore {
    let db: LibsqlDatabase;
    try {
      db = new Database(path);
      db.pragma("journal_mode = WAL");
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    } catch (error) {
      throw new KernelError("SPACE_STORE_FAILED", `cannot open space database at ${path}`, {
        cause: error,
        details: { path },
      });
    }
    try {
      const store = new LibsqlSpaceStore(db, options);
      store.#owned = true;
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Rows skipped because they could not be decoded, since this store opened. */
  get corruptRows(): number {
    return this.#corruptRows;
  }

  /** Closes the database when this store opened it; a no-op for a borrowed one. */
  close(): void {
    if (this.#owned && this.#db.open) this.#db.close();
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run(sql: string, params: readonly SqlValue[]): number {
    return this.#statement(sql).run([...params]).changes;
  }

  #all(sql: string, params: readonly SqlValue[]): Row[] {
    return this.#statement(sql).all([...params]) as Row[];
  }

  #get(sql: string, params: readonly SqlValue[]): Row | undefined {
    return this.#statement(sql).get([...params]) as Row | undefined;
  }

  /** Runs `work` in one transaction, translating any failure. */
  #atomic<T>(operation: string, work: () => T): T {
    try {
      return this.#db.transaction(work)();
    } catch (error) {
      throw translate(error, operation);
    }
  }

  #migrate(): void {
    this.#atomic("migrate", () => {
      this.#db.exec(
        "CREATE TABLE IF NOT EXISTS space_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
      );
      const row = this.#get("SELECT MAX(version) AS version FROM space_migrations", []);
      const current = typeof row?.version === "number" ? row.version : 0;
      if (current > SPACE_SCHEMA_VERSION) {
        throw new KernelError(
          "SPACE_STORE_VERSION",
          `space tables are at schema version ${current}, newer than this package's ${SPACE_SCHEMA_VERSION}`,
          { details: { stored: current, known: SPACE_SCHEMA_VERSION } },
        );
      }
      for (const migration of SPACE_MIGRATIONS) {
        if (migration.version <= current) continue;
        this.#db.exec(migration.sql);
        this.#run("INSERT INTO space_migrations (version, applied_at) VALUES (?, ?)", [migration.version, Date.now()]);
      }
    });
  }

  #corrupt(table: string, id: string, reason: string): void {
    this.#corruptRows += 1;
    this.#logger?.error("space store: skipping a row that cannot be decoded", { table, id, reason });
  }

  #decodeSpace(row: Row): Space | undefined {
    const id = String(row.id);
    const paths = parseStringArray(row.paths);
    const tags = parseStringArray(row.tags);
    const source = row.source;
    if (paths === undefined || tags === undefined || (source !== "manual" && source !== "auto_detected")) {
      this.#corrupt("space_spaces", id, "paths, tags or source is malformed");
      return undefined;
    }
    return {
      id,
      name: String(row.name),
      description: String(row.description),
      paths,
      tags,
      emoji: String(row.emoji),
      source: source as SpaceSource,
      memoryVisible: row.memory_visible === 1 || row.memory_visible === 1n,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
      lastActiveAt: Number(row.last_active_at),
    };
  }

  #readSpace(id: string): Space | undefined {
    const row = this.#get("SELECT * FROM space_spaces WHERE id = ?", [id]);
    if (row === undefined) return undefined;
    const space = this.#decodeSpace(row);
    if (space === undefined) {
      throw new KernelError("SPACE_STORE_CORRUPT", `space ${id} is stored in a form that cannot be read`, {
        details: { spaceId: id },
      });
    }
    return space;
  }

  async listSpaces(): Promise<Space[]> {
    try {
      return this.#all("SELECT * FROM space_spaces", []).flatMap((row) => this.#decodeSpace(row) ?? []);
    } catch (error) {
      throw translate(error, "listSpaces");
    }
  }

  async getSpace(id: string): Promise<Space | undefined> {
    try {
      return this.#readSpace(id);
    } catch (error) {
      throw translate(error, "getSpace");
    }
  }

  async insertSpace(space: Space): Promise<void> {
    this.#atomic("insertSpace", () => {
      this.#run(
        `INSERT INTO space_spaces (id, name, name_key, description, paths, tags, emoji, source, memory_visible,
           created_at, updated_at, last_active_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          space.id,
          space.name,
          spaceNameKey(space.name),
          space.description,
          JSON.stringify(space.paths),
          JSON.stringify(space.tags),
          space.emoji,
          space.source,
          space.memoryVisible ? 1 : 0,
          space.createdAt,
          space.updatedAt,
          space.lastActiveAt,
        ],
      );
    });
  }

  async updateSpace(space: Space): Promise<boolean> {
    return this.#atomic(
      "updateSpace",
      () =>
        this.#run(
          `UPDATE space_spaces SET name = ?, name_key = ?, description = ?, paths = ?, tags = ?, emoji = ?,
             source = ?, memory_visible = ?, updated_at = ? WHERE id = ?`,
          [
            space.name,
            spaceNameKey(space.name),
            space.description,
            JSON.stringify(space.paths),
            JSON.stringify(space.tags),
            space.emoji,
            space.source,
            space.memoryVisible ? 1 : 0,
            space.updatedAt,
            space.id,
          ],
        ) > 0,
    );
  }

  async touchSpace(id: string, at: number): Promise<Space | undefined> {
    return this.#atomic("touchSpace", () => {
      this.#run("UPDATE space_spaces SET last_active_at = MAX(last_active_at, ?) WHERE id = ?", [at, id]);
      return this.#readSpace(id);
    });
  }

  async deleteSpace(id: string): Promise<boolean> {
    return this.#atomic("deleteSpace", () => {
      this.#run("DELETE FROM space_memory_links WHERE space_id = ?", [id]);
      this.#run("DELETE FROM space_session_active WHERE space_id = ?", [id]);
      return this.#run("DELETE FROM space_spaces WHERE id = ?", [id]) > 0;
    });
  }

  async linkMemory(spaceId: string, memoryId: string, at: number): Promise<boolean> {
    return this.#atomic(
      "linkMemory",
      () =>
        this.#run(
          `INSERT INTO space_memory_links (space_id, memory_id, linked_at)
             SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM space_spaces WHERE id = ?)
             ON CONFLICT (space_id, memory_id) DO NOTHING`,
          [spaceId, memoryId, at, spaceId],
        ) > 0,
    );
  }

  async unlinkMemory(spaceId: string, memoryId: string): Promise<boolean> {
    return this.#atomic(
      "unlinkMemory",
      () => this.#run("DELETE FROM space_memory_links WHERE space_id = ? AND memory_id = ?", [spaceId, memoryId]) > 0,
    );
  }

  async linkedMemories(spaceId: string): Promise<string[]> {
    try {
      return this.#all("SELECT memory_id FROM space_memory_links WHERE space_id = ? ORDER BY linked_at, rowid", [
        spaceId,
      ]).map((row) => String(row.memory_id));
    } catch (error) {
      throw translate(error, "linkedMemories");
    }
  }

  async activeSpaceId(sessionId: string): Promise<string | undefined> {
    try {
      const row = this.#get("SELECT space_id FROM space_session_active WHERE session_id = ?", [sessionId]);
      return row === undefined ? undefined : String(row.space_id);
    } catch (error) {
      throw translate(error, "activeSpaceId");
    }
  }

  async setActiveSpace(sessionId: string, spaceId: string, at: number): Promise<boolean> {
    return this.#atomic(
      "setActiveSpace",
      () =>
        this.#run(
          `INSERT INTO space_session_active (session_id, space_id, activated_at)
             SELECT ?, id, ? FROM space_spaces WHERE id = ?
             ON CONFLICT (session_id) DO UPDATE SET space_id = excluded.space_id, activated_at = excluded.activated_at`,
          [sessionId, at, spaceId],
        ) > 0,
    );
  }

  async turns(sessionId: string): Promise<ConversationTurn[]> {
    try {
      return this.#all("SELECT seq, role, content, at FROM conversation_turns WHERE session_id = ? ORDER BY seq", [
        sessionId,
      ]).flatMap((row) => {
        if (!roles.includes(String(row.role)) || typeof row.content !== "string") {
          this.#corrupt("conversation_turns", `${sessionId}#${String(row.seq)}`, "role or content is malformed");
          return [];
        }
        return [{ role: row.role as TurnRole, content: row.content, at: Number(row.at) }];
      });
    } catch (error) {
      throw translate(error, "turns");
    }
  }

  async appendTurn(sessionId: string, turn: ConversationTurn, keep: number): Promise<void> {
    this.#atomic("appendTurn", () => {
      const row = this.#get("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM conversation_turns WHERE session_id = ?", [
        sessionId,
      ]);
      const seq = Number(row?.seq ?? 1);
      this.#run("INSERT INTO conversation_turns (session_id, seq, role, content, at) VALUES (?, ?, ?, ?, ?)", [
        sessionId,
        seq,
        turn.role,
        turn.content,
        turn.at,
      ]);
      this.#run("DELETE FROM conversation_turns WHERE session_id = ? AND seq <= ?", [sessionId, seq - keep]);
    });
  }

  async clearTurns(sessionId: string): Promise<boolean> {
    return this.#atomic(
      "clearTurns",
      () => this.#run("DELETE FROM conversation_turns WHERE session_id = ?", [sessionId]) > 0,
    );
  }

  async forgetSession(sessionId: string): Promise<void> {
    this.#atomic("forgetSession", () => {
      this.#run("DELETE FROM conversation_turns WHERE session_id = ?", [sessionId]);
      this.#run("DELETE FROM space_session_active WHERE session_id = ?", [sessionId]);
    });
  }
}
