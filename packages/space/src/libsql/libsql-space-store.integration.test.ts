// A real libsql file in a temp dir: the store contract, then what only a database file can
// show — reopening, shared databases, two managers on one file, corrupt rows, schema versions.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelError } from "@oxios/core";
import { createMemoryLogger } from "@oxios/core/testing";
import { openDatabase } from "@oxios/database";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { SpaceManager } from "../space-manager.ts";
import { describeSpaceStoreContract } from "../store-contract.fixture.ts";
import { LibsqlSpaceStore } from "./libsql-space-store.ts";
import { SPACE_MIGRATIONS, SPACE_SCHEMA_VERSION } from "./migrations.ts";

const root = mkdtempSync(join(tmpdir(), "oxios-space-"));
let files = 0;
const freshFile = (): string => join(root, `space-${files++}.db`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeSpaceStoreContract("libsql file", async () => {
  const path = freshFile();
  let current = await LibsqlSpaceStore.open({ url: path });
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = await LibsqlSpaceStore.open({ url: path });
      return current;
    },
    close: async () => current.close(),
  };
});

describe("LibsqlSpaceStore", () => {
  it("shares a database it did not open with other tables, and leaves it open on close", async () => {
    const db = await openDatabase({ url: freshFile() });
    db.exec("CREATE TABLE memory_items (id TEXT PRIMARY KEY)");
    db.exec("PRAGMA user_version = 7");
    const store = await LibsqlSpaceStore.open({ database: db });
    const manager = new SpaceManager({ store, publisher: new RecordingPublisher() });
    await manager.create({ name: "Shared" });
    await store.close();
    expect(db.isOpen).toBe(true);
    const tables = db
      .all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .map((row) => row.name);
    expect(tables).toEqual([
      "conversation_turns",
      "database_migrations",
      "memory_items",
      "space_memory_links",
      "space_session_active",
      "space_spaces",
    ]);
    expect(db.get("PRAGMA user_version")).toEqual({ user_version: 7 });
    expect(db.all("SELECT prefix, version FROM database_migrations")).toEqual([{ prefix: "space_", version: 1 }]);
    // A second store on the same database finds the schema applied and the data there.
    const again = await LibsqlSpaceStore.open({ database: db });
    expect((await again.listSpaces()).map((space) => space.name).sort()).toEqual(["Default", "Shared"]);
    db.close();
  });

  it("adopts the version a file from before the shared migration table recorded in space_migrations", async () => {
    const path = freshFile();
    const raw = new Database(path);
    raw.exec(SPACE_MIGRATIONS.migrations[0]?.sql ?? "");
    raw.exec("CREATE TABLE space_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    raw.prepare("INSERT INTO space_migrations (version, applied_at) VALUES (?, ?)").run([1, 0]);
    raw
      .prepare(
        `INSERT INTO space_spaces (id, name, name_key, description, paths, tags, emoji, source, memory_visible,
           created_at, updated_at, last_active_at) VALUES (?, ?, ?, '', '[]', '[]', '', 'manual', 1, 0, 0, 0)`,
      )
      .run(["old", "Old Space", "old space"]);
    raw.close();
    const store = await LibsqlSpaceStore.open({ url: path });
    try {
      expect((await store.listSpaces()).map((space) => space.name)).toEqual(["Old Space"]);
      const manager = new SpaceManager({ store, publisher: new RecordingPublisher() });
      await manager.create({ name: "New Space" });
    } finally {
      await store.close();
    }
  });

  it("keeps names unique across two managers on one file", async () => {
    const path = freshFile();
    const first = await LibsqlSpaceStore.open({ url: path });
    const second = await LibsqlSpaceStore.open({ url: path });
    try {
      const a = new SpaceManager({ store: first, publisher: new RecordingPublisher() });
      const b = new SpaceManager({ store: second, publisher: new RecordingPublisher() });
      await a.create({ name: "Only One" });
      const error = await b.create({ name: "only one" }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(KernelError.hasCode(error, "SPACE_NAME_TAKEN")).toBe(true);
      expect((await b.list()).map((space) => space.name)).toEqual(["Default", "Only One"]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("logs and counts a row it cannot decode instead of dropping it silently", async () => {
    const path = freshFile();
    const logger = createMemoryLogger();
    const store = await LibsqlSpaceStore.open({ url: path, logger });
    try {
      const manager = new SpaceManager({ store, publisher: new RecordingPublisher() });
      const good = await manager.create({ name: "Good" });
      const bad = await manager.create({ name: "Bad" });
      const raw = new Database(path);
      raw.prepare("UPDATE space_spaces SET paths = ? WHERE id = ?").run(["{not json", bad.id]);
      raw.close();
      expect((await store.listSpaces()).map((space) => space.id).sort()).toEqual([good.id, "default"].sort());
      expect(store.corruptRows).toBe(1);
      expect(logger.records.some((record) => record.level === "error" && record.fields.id === bad.id)).toBe(true);
      const error = await store.getSpace(bad.id).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(KernelError.hasCode(error, "SPACE_STORE_CORRUPT")).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("refuses tables written by a newer schema and translates open failures", async () => {
    const path = freshFile();
    await (await LibsqlSpaceStore.open({ url: path })).close();
    const raw = new Database(path);
    raw
      .prepare("INSERT INTO database_migrations (prefix, version, applied_at) VALUES (?, ?, ?)")
      .run(["space_", SPACE_SCHEMA_VERSION + 1, 0]);
    raw.close();
    await expect(LibsqlSpaceStore.open({ url: path })).rejects.toMatchObject({ code: "DATABASE_SCHEMA_TOO_NEW" });
    await expect(LibsqlSpaceStore.open({ url: join(root, "missing-dir", "x.db") })).rejects.toMatchObject({
      code: "DATABASE_OPEN_FAILED",
    });
  });
});
