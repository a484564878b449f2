/**
 * Versioned schema migrations of the memory tables, run by `@oxios/database`'s `migrate` under
 * the prefix `memory_` (the tables of version 1 predate the prefix rule: `memories`,
 * `embedding_cache`, `dream_*`). Files written before the shared migration table recorded the
 * version in SQLite's `user_version`; it is adopted once and then left alone.
 */

import type { Database, MigrationSet } from "@oxios/database";
import type { Sql } from "./sql.ts";

const MIGRATIONS: readonly string[] = [
  // 1: memories (the upstream columns; `seq` is the stable rowid every index keys on —
  // AUTOINCREMENT so a deleted memory's rowid is never reused), FTS5 kept by triggers,
  // embeddings, the embedding cache, space links, dream state and reports, store metadata.
  `
  CREATE TABLE memories (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    memory_type TEXT NOT NULL,
    content TEXT NOT NULL,
    summary TEXT,
    importance REAL NOT NULL,
    tier TEXT NOT NULL,
    protection TEXT NOT NULL,
    source TEXT,
    session_id TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}',
    access_count INTEGER NOT NULL DEFAULT 0,
    pinned INTEGER NOT NULL DEFAULT 0,
    auto_classified INTEGER NOT NULL DEFAULT 0,
    session_appearances INTEGER NOT NULL DEFAULT 0,
    decay_score REAL NOT NULL DEFAULT 1,
    compaction_level INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    accessed_at INTEGER NOT NULL,
    decay_rate REAL NOT NULL
  );
  CREATE INDEX memories_content_hash ON memories(content_hash);
  CREATE INDEX memories_tier ON memories(tier, importance);
  CREATE INDEX memories_type_created ON memories(memory_type, created_at);
  CREATE INDEX memories_session ON memories(session_id, created_at);

  CREATE VIRTUAL TABLE memories_fts USING fts5(
    content, summary, tags, content='memories', content_rowid='seq', tokenize='unicode61'
  );
  CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts(rowid, content, summary, tags) VALUES (new.seq, new.content, new.summary, new.tags);
  END;
  CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, content, summary, tags)
      VALUES ('delete', old.seq, old.content, old.summary, old.tags);
  END;
  CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, summary, tags ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, content, summary, tags)
      VALUES ('delete', old.seq, old.content, old.summary, old.tags);
    INSERT INTO memories_fts(rowid, content, summary, tags) VALUES (new.seq, new.content, new.summary, new.tags);
  END;

  CREATE TABLE memory_embeddings (
    memory_seq INTEGER PRIMARY KEY REFERENCES memories(seq) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL
  );

  CREATE TABLE embedding_cache (
    model TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    used_at INTEGER NOT NULL,
    PRIMARY KEY (model, content_hash)
  ) WITHOUT ROWID;

  CREATE TABLE memory_spaces (
    space_id TEXT NOT NULL,
    memory_seq INTEGER NOT NULL REFERENCES memories(seq) ON DELETE CASCADE,
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (space_id, memory_seq)
  ) WITHOUT ROWID;
  CREATE INDEX memory_spaces_memory ON memory_spaces(memory_seq);

  CREATE TABLE dream_state (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),
    run_id TEXT NOT NULL,
    completed_phase TEXT NOT NULL,
    data TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE dream_reports (
    run_id TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    completed_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    report TEXT NOT NULL
  );

  CREATE TABLE memory_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: the sign code of every vector (512 bits), which the in-process bit index loads at open
  // instead of the sqlite-vec table of codes (dropped when sqlite-vec loads, see
  // vector-index.ts), and the snapshot a clean close leaves of that index (see
  // index-persistence.ts). Codes are rebuilt from memory_embeddings when their format changes.
  `
  CREATE TABLE memory_codes (
    memory_seq INTEGER PRIMARY KEY REFERENCES memories(seq) ON DELETE CASCADE,
    code BLOB NOT NULL
  );
  CREATE TABLE memory_index_snapshot (
    part INTEGER PRIMARY KEY,
    seqs BLOB NOT NULL,
    codes BLOB NOT NULL
  );
  `,
  // 3: new memories reach the FTS index in one statement per write transaction (see
  // `MemoryStore#indexText`), not through a trigger per row: every statement that writes in a
  // transaction opens a savepoint, and FTS5 flushes its pending terms to a new segment at each
  // savepoint, so a per-row trigger wrote (and then merged) one segment per memory. The update
  // and delete triggers stay.
  `
  DROP TRIGGER IF EXISTS memories_fts_insert;
  `,
];

/** The version `user_version` held for files from before the shared table (0 without memory tables). */
function recordedBefore(database: Database): number {
  if (database.get("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memories'") === undefined) return 0;
  return Number(database.get<{ user_version: number }>("PRAGMA user_version")?.user_version ?? 0);
}

export const MEMORY_MIGRATIONS: MigrationSet = {
  prefix: "memory_",
  adopt: recordedBefore,
  migrations: MIGRATIONS.map((sql, index) => ({ version: index + 1, sql })),
};

export const SCHEMA_VERSION = MIGRATIONS.length;

export function readMeta(sql: Sql, key: string): string | undefined {
  return sql.get<{ value: string }>("SELECT value FROM memory_meta WHERE key = ?", [key])?.value;
}

export function writeMeta(sql: Sql, key: string, value: string): void {
  sql.run("INSERT INTO memory_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [
    key,
    value,
  ]);
}
