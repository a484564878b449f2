import { KernelError } from "@oxios/core";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { DatabaseErrorCode } from "./error-codes.ts";
import { GroupCommit } from "./group-commit.ts";
import { openDatabase } from "./open-database.ts";
import { removeTempFiles, tempDatabasePath } from "./test-support.ts";

afterEach(() => removeTempFiles());

async function itemsDatabase(path = tempDatabasePath()) {
  const database = await openDatabase({ url: `file:${path}` });
  database.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
  return database;
}

const insert = (name: string) => ({ sql: "INSERT INTO items (name) VALUES (?)", params: [name] });

describe("group commit", () => {
  it("commits the writes of one window in one transaction and resolves each once it is durable", async () => {
    const database = await itemsDatabase();
    const committer = new GroupCommit(database);
    const writes = Array.from({ length: 50 }, (_, index) => committer.write([insert(`n${index}`)]));
    expect(committer.pending).toBe(50);
    await Promise.all(writes);
    expect(committer.commits).toBe(1);
    expect(database.get("SELECT count(*) AS n FROM items")).toEqual({ n: 50 });
    database.close();
  });

  it("on a file, a window lasts to the end of the event loop's turn: the turn's writes share a commit, the next turn's do not", async () => {
    const database = await itemsDatabase();
    const committer = new GroupCommit(database);
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    // Written in one turn, across microtasks: one transaction, done at the end of that turn.
    const first = committer.write([insert("a")]);
    await Promise.resolve();
    const second = committer.write([insert("b")]);
    await turn();
    expect(committer.commits).toBe(1);
    await Promise.all([first, second]);
    // A write of a later turn is not held back for a clock: its own commit, at that turn's end.
    const third = committer.write([insert("c")]);
    expect(committer.pending).toBe(1);
    await turn();
    expect(committer.commits).toBe(2);
    await third;
    expect(database.get("SELECT count(*) AS n FROM items")).toEqual({ n: 3 });
    database.close();
  });

  it("a window that reaches maxBatch commits once the synchronous code that filled it ran, not at the timer", async () => {
    const database = await itemsDatabase();
    const committer = new GroupCommit(database, { maxBatch: 10, windowMs: 60_000 });
    // Twelve writes in one tick: they stay together (one transaction), committed in a microtask.
    const first = Array.from({ length: 12 }, (_, index) => committer.write([insert(`a${index}`)]));
    expect(committer.pending).toBe(12);
    await Promise.all(first);
    expect(committer.commits).toBe(1);
    const rest = committer.write([insert("b")]);
    expect(committer.pending).toBe(1);
    committer.flush();
    await rest;
    expect(committer.commits).toBe(2);
    database.close();
  });

  it("is shared by every store on one handle: two stores' writes of one tick commit together", async () => {
    const database = await itemsDatabase();
    database.exec("CREATE TABLE other (id INTEGER PRIMARY KEY, name TEXT)");
    const first = GroupCommit.for(database);
    const second = GroupCommit.for(database);
    expect(second).toBe(first);
    const both = Promise.all([
      first.write([insert("a")]),
      second.write([{ sql: "INSERT INTO other (name) VALUES (?)", params: ["b"] }]),
    ]);
    await both;
    expect(first.commits).toBe(1);
    database.close();
  });

  it("a failed commit rejects every write of its batch and stores none of them; later windows go on", async () => {
    const database = await itemsDatabase();
    const committer = new GroupCommit(database);
    const good = committer.write([insert("kept?")]);
    const bad = committer.write([insert("dup"), insert("dup")]);
    expect(() => committer.flush()).toThrow(KernelError);
    await expect(good).rejects.toMatchObject({ code: "DATABASE_CONSTRAINT" });
    await expect(bad).rejects.toMatchObject({ code: "DATABASE_CONSTRAINT" });
    expect(database.get("SELECT count(*) AS n FROM items")).toEqual({ n: 0 });
    await committer.write([insert("after")]);
    expect(database.all("SELECT name FROM items")).toEqual([{ name: "after" }]);
    database.close();
  });

  it("a write on a closed handle rejects with DATABASE_CLOSED", async () => {
    const database = await itemsDatabase();
    const committer = new GroupCommit(database);
    database.close();
    await expect(committer.write([insert("late")])).rejects.toMatchObject({ code: "DATABASE_CLOSED" });
  });

  it("any crash point keeps a prefix of the writes in call order (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        async (sizes, cut) => {
          const path = tempDatabasePath();
          const database = await itemsDatabase(path);
          const committer = new GroupCommit(database);
          const written: string[] = [];
          const writes: Promise<void>[] = [];
          const flushAt = cut % (sizes.length + 1);
          sizes.forEach((size, index) => {
            const names = Array.from({ length: size }, (_, item) => `w${index}-${item}`);
            written.push(...names);
            writes.push(committer.write(names.map(insert)));
            if (index + 1 === flushAt) committer.flush();
          });
          // "Crash": the handle closes without flushing what is still buffered.
          const durable = flushAt === 0 ? 0 : sizes.slice(0, flushAt).reduce((sum, size) => sum + size, 0);
          database.close();
          const outcomes = await Promise.allSettled(writes);
          expect(outcomes.map((outcome) => outcome.status)).toEqual(
            sizes.map((_, index) => (index < flushAt ? "fulfilled" : "rejected")),
          );
          const reopened = await itemsDatabase(path);
          const names = reopened.all<{ name: string }>("SELECT name FROM items ORDER BY id").map((row) => row.name);
          reopened.close();
          expect(names).toEqual(written.slice(0, durable));
        },
      ),
      { numRuns: 25 },
    );
  });

  describe("on a served database that answers busy", () => {
    /** A file database that says it is served, and whose batch fails DATABASE_BUSY `busy` times first. */
    async function busyAtFirst(busy: number, served = true) {
      const real = await itemsDatabase();
      const state = { busy, batches: 0 };
      const database = new Proxy(real, {
        get(target, property) {
          if (property === "served") return served;
          if (property === "batch") {
            return (statements: Parameters<typeof real.batch>[0]) => {
              state.batches++;
              if (state.busy > 0) {
                state.busy--;
                throw new KernelError(DatabaseErrorCode.busy, "database: the write lock went to another node");
              }
              target.batch(statements);
            };
          }
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      return { database, real, state };
    }

    it("sends the batch again, up to three attempts, and then its writes are durable", async () => {
      const { database, real, state } = await busyAtFirst(2);
      const committer = new GroupCommit(database);
      const writes = [committer.write([insert("a")]), committer.write([insert("b")])];
      committer.flush();
      await Promise.all(writes);
      expect(state.batches).toBe(3);
      expect(committer.commits).toBe(1);
      expect(real.get("SELECT count(*) AS n FROM items")).toEqual({ n: 2 });
      real.close();
    });

    it("fails every write of the batch once three attempts found it busy", async () => {
      const { database, real, state } = await busyAtFirst(3);
      const committer = new GroupCommit(database);
      const write = committer.write([insert("a")]);
      expect(() => committer.flush()).toThrow(expect.objectContaining({ code: "DATABASE_BUSY" }));
      await expect(write).rejects.toMatchObject({ code: "DATABASE_BUSY" });
      expect(state.batches).toBe(3);
      expect(real.get("SELECT count(*) AS n FROM items")).toEqual({ n: 0 });
      real.close();
    });

    it("does not send a file's batch again: its busy timeout already waited", async () => {
      const { database, real, state } = await busyAtFirst(1, false);
      const committer = new GroupCommit(database);
      const write = committer.write([insert("a")]);
      expect(() => committer.flush()).toThrow(expect.objectContaining({ code: "DATABASE_BUSY" }));
      await expect(write).rejects.toMatchObject({ code: "DATABASE_BUSY" });
      expect(state.batches).toBe(1);
      real.close();
    });
  });
});
