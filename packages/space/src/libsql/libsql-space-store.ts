/**
 * SpaceStore on a libsql database, through `@oxios/database` (sync statements; loads on Node,
 * Bun and Deno). `LibsqlSpaceStore.open({ url })` opens a connection of its own and `close()`
 * closes it; `LibsqlSpaceStore.open({ database })` uses one the kernel already opened (for
 * example the memory database) and leaves it open.
 *
 * Database failures keep their `DATABASE_*` code, except a UNIQUE violation on a space's name
 * or id, which becomes `SPACE_NAME_TAKEN` / `SPACE_ID_TAKEN`. Multi-statement changes run in
 * one transaction. A row that fails to decode is logged with its id and counted in
 * `corruptRows`, never dropped silently.
 */
import { KernelError, type Logger } from "@oxios/core";
import {
  acquireDatabase,
  type Database,
  DatabaseErrorCode,
  type DatabaseSource,
  migrate,
  type Row,
  type SqlValue,
} from "@oxios/database";
import { SpaceErrorCode } from "../error-codes.ts";
import { type Space, type SpaceSource, spaceNameKey } from "../space.ts";
import type { ConversationTurn, SessionSummary, SpaceStore, TurnRole } from "../space-store.ts";
import { SPACE_MIGRATIONS } from "./migrations.ts";

export type LibsqlSpaceStoreOptions = DatabaseSource & {
  /** Receives corrupt-row reports and schema migrations. */
  logger?: Logger;
  /** How long a write waits for another connection's lock, in ms, when the store opens the URL; default 5000. */
  busyTimeoutMs?: number;
};

const roles: readonly string[] = ["user", "assistant", "system", "tool"];

/** A name or id clash as the space code the port promises; anything else unchanged. */
function translate(error: unknown): unknown {
  if (KernelError.hasCode(error, DatabaseErrorCode.constraint)) {
    if (error.message.includes("space_spaces.name_key")) {
      return new KernelError(SpaceErrorCode.nameTaken, "a space with that name already exists", { cause: error });
    }
    if (error.message.includes("space_spaces.id")) {
      return new KernelError(SpaceErrorCode.idTaken, "a space with that id already exists", { cause: error });
    }
  }
  return error;
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
  readonly #database: Database;
  readonly #release: () => void;
  readonly #logger: Logger | undefined;
  #corruptRows = 0;

  private constructor(database: Database, release: () => void, logger: Logger | undefined) {
    this.#database = database;
    this.#release = release;
    this.#logger = logger;
  }

  /**
   * Opens the store on `url` (closed by `close()`) or on a shared `database` (left open), and
   * brings the space tables to the current schema.
   *
   * Throws: the `DATABASE_*` codes of `openDatabase` and `migrate` (`DATABASE_SCHEMA_TOO_NEW`
   * for tables written by a newer package).
   */
  static async open(options: LibsqlSpaceStoreOptions): Promise<LibsqlSpaceStore> {
    const logger = options.logger;
    const { database, release } = await acquireDatabase(options, {
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
      ...(logger === undefined ? {} : { logger }),
    });
    try {
      migrate(database, SPACE_MIGRATIONS, logger === undefined ? {} : { logger });
    } catch (error) {
      release();
      throw error;
    }
    return new LibsqlSpaceStore(database, release, logger);
  }

  /** Rows skipped because they could not be decoded, since this store opened. */
  get corruptRows(): number {
    return this.#corruptRows;
  }

  /** Closes the database when this store opened it; a shared one stays open. */
  async close(): Promise<void> {
    this.#release();
  }

  #run(sql: string, params: readonly SqlValue[]): number {
    return this.#database.run(sql, params).changes;
  }

  /** Runs `work` in one transaction. */
  #atomic<T>(work: () => T): T {
    try {
      return this.#database.transaction(work);
    } catch (error) {
      throw translate(error);
    }
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
    const row = this.#database.get("SELECT * FROM space_spaces WHERE id = ?", [id]);
    if (row === undefined) return undefined;
    const space = this.#decodeSpace(row);
    if (space === undefined) {
      throw new KernelError(SpaceErrorCode.storeCorrupt, `space ${id} is stored in a form that cannot be read`, {
        details: { spaceId: id },
      });
    }
    return space;
  }

  async listSpaces(): Promise<Space[]> {
    return this.#database.all("SELECT * FROM space_spaces", []).flatMap((row) => this.#decodeSpace(row) ?? []);
  }

  async getSpace(id: string): Promise<Space | undefined> {
    return this.#readSpace(id);
  }

  async insertSpace(space: Space): Promise<void> {
    this.#atomic(() => {
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
    return this.#atomic(() => {
      this.#run("UPDATE space_spaces SET last_active_at = MAX(last_active_at, ?) WHERE id = ?", [at, id]);
      return this.#readSpace(id);
    });
  }

  async deleteSpace(id: string): Promise<boolean> {
    return this.#atomic(() => {
      this.#run("DELETE FROM space_memory_links WHERE space_id = ?", [id]);
      this.#run("DELETE FROM space_session_active WHERE space_id = ?", [id]);
      return this.#run("DELETE FROM space_spaces WHERE id = ?", [id]) > 0;
    });
  }

  async linkMemory(spaceId: string, memoryId: string, at: number): Promise<boolean> {
    return this.#atomic(
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
      () => this.#run("DELETE FROM space_memory_links WHERE space_id = ? AND memory_id = ?", [spaceId, memoryId]) > 0,
    );
  }

  async linkedMemories(spaceId: string): Promise<string[]> {
    return this.#database
      .all("SELECT memory_id FROM space_memory_links WHERE space_id = ? ORDER BY linked_at, rowid", [spaceId])
      .map((row) => String(row.memory_id));
  }

  async activeSpaceId(sessionId: string): Promise<string | undefined> {
    const row = this.#database.get("SELECT space_id FROM space_session_active WHERE session_id = ?", [sessionId]);
    return row === undefined ? undefined : String(row.space_id);
  }

  async setActiveSpace(sessionId: string, spaceId: string, at: number): Promise<boolean> {
    return this.#atomic(
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
    return this.#database
      .all("SELECT seq, role, content, at FROM conversation_turns WHERE session_id = ? ORDER BY seq", [sessionId])
      .flatMap((row) => {
        if (!roles.includes(String(row.role)) || typeof row.content !== "string") {
          this.#corrupt("conversation_turns", `${sessionId}#${String(row.seq)}`, "role or content is malformed");
          return [];
        }
        return [{ role: row.role as TurnRole, content: row.content, at: Number(row.at) }];
      });
  }

  async appendTurn(sessionId: string, turn: ConversationTurn, keep: number): Promise<void> {
    this.#atomic(() => {
      const row = this.#database.get(
        "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM conversation_turns WHERE session_id = ?",
        [sessionId],
      );
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
    return this.#atomic(() => this.#run("DELETE FROM conversation_turns WHERE session_id = ?", [sessionId]) > 0);
  }

  async sessions(query: { limit: number }): Promise<SessionSummary[]> {
    const rows = this.#database.all<{ session_id: string; space_id: string | null; turns: number; last: number }>(
      `WITH ids AS (SELECT session_id FROM conversation_turns UNION SELECT session_id FROM space_session_active),
            counted AS (SELECT session_id, COUNT(*) AS turns, MAX(at) AS last FROM conversation_turns GROUP BY session_id)
       SELECT ids.session_id, active.space_id, COALESCE(counted.turns, 0) AS turns,
              MAX(COALESCE(counted.last, 0), COALESCE(active.activated_at, 0)) AS last
         FROM ids
         LEFT JOIN counted ON counted.session_id = ids.session_id
         LEFT JOIN space_session_active AS active ON active.session_id = ids.session_id
        ORDER BY last DESC, ids.session_id
        LIMIT ?`,
      [query.limit],
    );
    return rows.map((row) => ({
      sessionId: row.session_id,
      turns: Number(row.turns),
      lastActivityAt: Number(row.last),
      ...(row.space_id === null ? {} : { spaceId: row.space_id }),
    }));
  }

  async forgetSession(sessionId: string): Promise<void> {
    this.#atomic(() => {
      this.#run("DELETE FROM conversation_turns WHERE session_id = ?", [sessionId]);
      this.#run("DELETE FROM space_session_active WHERE session_id = ?", [sessionId]);
    });
  }
}
