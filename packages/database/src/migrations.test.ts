import { createMemoryLogger } from "@oxios/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "./database.ts";
import { type Migration, type MigrationSet, migrate } from "./migrations.ts";
import { openDatabase } from "./open-database.ts";
import { removeTempFiles, tempDatabasePath } from "./test-support.ts";

afterEach(removeTempFiles);

const NOTES_V1: Migration = {
  version: 1,
  sql: "CREATE TABLE notes_items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
};
const NOTES_V2: Migration = {
  version: 2,
  sql: "ALTER TABLE notes_items ADD COLUMN tag TEXT NOT NULL DEFAULT ''; CREATE INDEX notes_items_tag ON notes_items (tag);",
};

function versions(database: Database, prefix: string): number[] {
  return database
    .all<{ version: number }>("SELECT version FROM database_migrations WHERE prefix = ? ORDER BY version", [prefix])
    .map((row) => row.version);
}

function tables(database: Database): string[] {
  return database
    .all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .map((row) => row.name);
}

describe("migrate", () => {
  it("applies a prefix's migrations in order and records each version", async () => {
    const database = await openDatabase({ url: tempDatabasePath() });
    const result = migrate(database, { prefix: "notes_", migrations: [NOTES_V1, NOTES_V2] });
    expect(result).toEqual({ prefix: "notes_", from: 0, to: 2, adopted: 0 });
    expect(versions(database, "notes_")).toEqual([1, 2]);
    database.run("INSERT INTO notes_items (body, tag) VALUES (?, ?)", ["b", "t"]);
    database.close();
  });

  it("is idempotent, and a later release applies only what it appended", async () => {
    const path = tempDatabasePath();
    const first = await openDatabase({ url: path });
    migrate(first, { prefix: "notes_", migrations: [NOTES_V1] });
    first.run("INSERT INTO notes_items (body) VALUES (?)", ["kept"]);
    expect(migrate(first, { prefix: "notes_", migrations: [NOTES_V1] })).toMatchObject({ from: 1, to: 1 });
    first.close();

    const later = await openDatabase({ url: path });
    expect(migrate(later, { prefix: "notes_", migrations: [NOTES_V1, NOTES_V2] })).toMatchObject({ from: 1, to: 2 });
    expect(migrate(later, { prefix: "notes_", migrations: [NOTES_V1, NOTES_V2] })).toMatchObject({ from: 2, to: 2 });
    expect(later.all("SELECT body, tag FROM notes_items")).toEqual([{ body: "kept", tag: "" }]);
    expect(versions(later, "notes_")).toEqual([1, 2]);
    later.close();
  });

  it("keeps each prefix's versions apart and leaves PRAGMA user_version alone", async () => {
    const database = await openDatabase({ url: tempDatabasePath() });
    database.exec("PRAGMA user_version = 7");
    migrate(database, { prefix: "notes_", migrations: [NOTES_V1, NOTES_V2] });
    migrate(database, { prefix: "tasks_", migrations: [{ version: 1, sql: "CREATE TABLE tasks_items (id TEXT)" }] });
    expect(versions(database, "notes_")).toEqual([1, 2]);
    expect(versions(database, "tasks_")).toEqual([1]);
    expect(database.get("PRAGMA user_version")).toEqual({ user_version: 7 });
    expect(tables(database)).toEqual(["database_migrations", "notes_items", "tasks_items"]);
    database.close();
  });

  it("refuses versions out of order, gaps, empty SQL and bad prefixes", async () => {
    const database = await openDatabase({ url: ":memory:" });
    const sets: MigrationSet[] = [
      { prefix: "notes_", migrations: [NOTES_V2, NOTES_V1] },
      { prefix: "notes_", migrations: [NOTES_V1, { version: 3, sql: "SELECT 1" }] },
      { prefix: "notes_", migrations: [{ version: 1, sql: "  " }] },
      { prefix: "Notes_", migrations: [NOTES_V1] },
      { prefix: "notes", migrations: [NOTES_V1] },
      { prefix: "database_", migrations: [NOTES_V1] },
    ];
    for (const set of sets) {
      expect(() => migrate(database, set)).toThrow(expect.objectContaining({ code: "DATABASE_MIGRATION_INVALID" }));
    }
    expect(tables(database)).toEqual([]);
    database.close();
  });

  it("a failing migration rolls back with every migration of its run and leaves the version untouched", async () => {
    const database = await openDatabase({ url: tempDatabasePath() });
    migrate(database, { prefix: "notes_", migrations: [NOTES_V1] });
    const broken: Migration = {
      version: 3,
      sql: "CREATE TABLE notes_extra (x); INSERT INTO no_such_table VALUES (1);",
    };
    expect(() => migrate(database, { prefix: "notes_", migrations: [NOTES_V1, NOTES_V2, broken] })).toThrow(
      expect.objectContaining({ code: "DATABASE_MIGRATION_FAILED", details: { prefix: "notes_", version: 3 } }),
    );
    expect(versions(database, "notes_")).toEqual([1]);
    expect(tables(database)).toEqual(["database_migrations", "notes_items"]);
    expect(database.all("SELECT name FROM pragma_table_info('notes_items')")).toEqual([
      { name: "id" },
      { name: "body" },
    ]);
    expect(database.inTransaction).toBe(false);
    database.close();
  });

  it("refuses tables recorded at a newer version and changes nothing", async () => {
    const database = await openDatabase({ url: tempDatabasePath() });
    migrate(database, { prefix: "notes_", migrations: [NOTES_V1, NOTES_V2] });
    expect(() => migrate(database, { prefix: "notes_", migrations: [NOTES_V1] })).toThrow(
      expect.objectContaining({ code: "DATABASE_SCHEMA_TOO_NEW", details: { prefix: "notes_", stored: 2, known: 1 } }),
    );
    expect(versions(database, "notes_")).toEqual([1, 2]);
    database.close();
  });

  it("adopts the version an earlier bookkeeping recorded, then applies only what is newer", async () => {
    const database = await openDatabase({ url: tempDatabasePath() });
    // A store that used to keep its own table of versions.
    database.exec(
      `${NOTES_V1.sql}; CREATE TABLE notes_versions (version INTEGER); INSERT INTO notes_versions VALUES (1);`,
    );
    database.run("INSERT INTO notes_items (body) VALUES (?)", ["from before"]);
    const logger = createMemoryLogger();
    const set: MigrationSet = {
      prefix: "notes_",
      migrations: [NOTES_V1, NOTES_V2],
      adopt: (db) =>
        db.get("SELECT 1 FROM sqlite_master WHERE name = 'notes_versions'") === undefined
          ? 0
          : Number(db.get<{ v: number }>("SELECT MAX(version) AS v FROM notes_versions")?.v ?? 0),
    };
    expect(migrate(database, set, { logger })).toEqual({ prefix: "notes_", from: 1, to: 2, adopted: 1 });
    expect(versions(database, "notes_")).toEqual([1, 2]);
    expect(database.all("SELECT body, tag FROM notes_items")).toEqual([{ body: "from before", tag: "" }]);
    expect(logger.records.find((record) => record.message === "database schema migrated")?.fields).toMatchObject({
      from: 1,
      to: 2,
      adopted: 1,
    });
    // Once recorded, the old bookkeeping is not read again.
    database.exec("UPDATE notes_versions SET version = 99");
    expect(migrate(database, set)).toMatchObject({ from: 2, to: 2, adopted: 0 });
    database.close();
  });

  it("two connections to one file migrate once between them", async () => {
    const path = tempDatabasePath();
    const first = await openDatabase({ url: path });
    const second = await openDatabase({ url: path });
    const set: MigrationSet = { prefix: "notes_", migrations: [NOTES_V1, NOTES_V2] };
    expect(migrate(first, set)).toMatchObject({ from: 0, to: 2 });
    expect(migrate(second, set)).toMatchObject({ from: 2, to: 2 });
    expect(versions(second, "notes_")).toEqual([1, 2]);
    first.close();
    second.close();
  });
});
