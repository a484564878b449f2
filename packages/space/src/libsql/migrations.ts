/**
 * Versioned schema of the libsql space store. The kernel points this store at the same
 * database file as memory, so every table is prefixed `space_` or `conversation_`; the
 * versions applied are recorded under the prefix `space_` in `@oxios/database`'s migration
 * table. Files written before that table existed kept them in `space_migrations`, which is
 * adopted once and then left alone. Migrations only ever get appended.
 */
import type { Database, MigrationSet } from "@oxios/database";

/** The version the store's own `space_migrations` table recorded, for files from before. */
function recordedBefore(database: Database): number {
  const table = database.get("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'space_migrations'");
  if (table === undefined) return 0;
  return Number(
    database.get<{ version: number | null }>("SELECT MAX(version) AS version FROM space_migrations")?.version ?? 0,
  );
}

export const SPACE_MIGRATIONS: MigrationSet = {
  prefix: "space_",
  adopt: recordedBefore,
  migrations: [
    {
      version: 1,
      sql: `
      CREATE TABLE space_spaces (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        description TEXT NOT NULL,
        paths TEXT NOT NULL,
        tags TEXT NOT NULL,
        emoji TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('manual', 'auto_detected')),
        memory_visible INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_active_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX space_spaces_name_key ON space_spaces (name_key);
      CREATE TABLE space_memory_links (
        space_id TEXT NOT NULL,
        memory_id TEXT NOT NULL,
        linked_at INTEGER NOT NULL,
        PRIMARY KEY (space_id, memory_id)
      );
      CREATE INDEX space_memory_links_memory ON space_memory_links (memory_id);
      CREATE TABLE space_session_active (
        session_id TEXT PRIMARY KEY,
        space_id TEXT NOT NULL,
        activated_at INTEGER NOT NULL
      );
      CREATE INDEX space_session_active_space ON space_session_active (space_id);
      CREATE TABLE conversation_turns (
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (session_id, seq)
      );
    `,
    },
  ],
};

/** The newest schema version this package knows. */
export const SPACE_SCHEMA_VERSION: number = SPACE_MIGRATIONS.migrations.length;
