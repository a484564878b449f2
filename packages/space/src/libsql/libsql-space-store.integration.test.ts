// A real libsql file in a temp dir: the store contract, then what only a database file can
// show — reopening, shared databases, two managers on one file, corrupt rows, schema versions.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelError } from "@oxios/core";
import { createMemoryLogger } from "@oxios/core/testing";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { SpaceManager } from "../space-manager.ts";
import { describeSpaceStoreContract } from "../store-contract.fixture.ts";
import { LibsqlSpaceStore } from "./libsql-space-store.ts";
import { SPACE_SCHEMA_VERSION } from "./migrations.ts";

const root = mkdtempSync(join(tmpdir(), "oxios-space-"));
let files = 0;
const freshFile = (): string => join(root, `space-${files++}.db`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeSpaceStoreContract("libsql file", async () => {
  const path = freshFile();
  let current = LibsqlSpaceStore.open(path);
  return {
    store: current,
    reopen: async () => {
      current.close();
      current = LibsqlSpaceStore.open(path);
      return current;
    },
    close: async () => current.close(),
  };
});

describe("LibsqlSpaceStore", () => {
  it("shares a database it did not open with other tables, and leaves it open on close", async () => {
    const db = new Database(freshFile());
    db.exec("CREATE TABLE memory_items (id TEXT PRIMARY KEY)");
    db.pragma("user_version = 7");
    const store = new LibsqlSpaceStore(db);
    const manager = new SpaceManager({ store, publisher: new RecordingPublisher() });
    await manager.create({ name: "Shared" });
    store.close();
    expect(db.open).toBe(true);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all([]) as Array<{
        name: string;
      }>
    ).map((row) => row.name);
    expect(tables).toEqual([
      "conversation_turns",
      "memory_items",
      "space_memory_links",
      "space_migrations",
      "space_session_active",
      "space_spaces",
    ]);
    expect(db.pragma("user_version", { simple: true }) as Record<string, unknown> | number).toEqual(
      expect.objectContaining({ user_version: 7 }),
    );
    // A second store on the same database finds the schema applied and the data there.
    const again = new LibsqlSpaceStore(db);
    expect((await again.listSpaces()).map((space) => space.name).sort()).toEqual(["Default", "Shared"]);
    db.close();
  });

  it("keeps names unique across two managers on one file", async () => {
    const path = freshFile();
    const first = LibsqlSpaceStore.open(path);
    const second = LibsqlSpaceStore.open(path);
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
      first.close();
      second.close();
    }
  });

  it("logs and counts a row it cannot decode instead of dropping it silently", async () => {
    const path = freshFile();
    const logger = createMemoryLogger();
    const store = LibsqlSpaceStore.open(path, { logger });
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
      store.close();
    }
  });

  it("refuses tables written by a newer schema and translates open failures", () => {
    const path = freshFile();
    LibsqlSpaceStore.open(path).close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO space_migrations (version, applied_at) VALUES (?, ?)").run([SPACE_SCHEMA_VERSION + 1, 0]);
    raw.close();
    expect(() => LibsqlSpaceStore.open(path)).toThrow(expect.objectContaining({ code: "SPACE_STORE_VERSION" }));
    expect(() => LibsqlSpaceStore.open(join(root, "missing-dir", "x.db"))).toThrow(
      expect.objectContaining({ code: "SPACE_STORE_FAILED" }),
    );
  });
});
