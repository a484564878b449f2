import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelError, silentLogger } from "@oxios/core";
import { createMemoryLogger, ManualClock } from "@oxios/core/testing";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { StateStore } from "./state-store.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "oxios-state-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

/** Makes `directory` unwritable even for root (chmod, else the immutable attribute). */
async function makeReadOnly(directory: string): Promise<() => Promise<void>> {
  await chmod(directory, 0o555);
  const probe = join(directory, "probe");
  try {
    await writeFile(probe, "x");
    await rm(probe);
  } catch {
    return async () => chmod(directory, 0o755);
  }
  // Root ignores permission bits: use the immutable attribute instead.
  execFileSync("chattr", ["+i", directory]);
  return async () => {
    execFileSync("chattr", ["-i", directory]);
    await chmod(directory, 0o755);
  };
}

describe("StateStore basics", () => {
  it("saves, loads, checks and deletes JSON and Markdown values", async () => {
    const store = await StateStore.open({ root });
    await store.save("seeds", "s1", { goal: "ship", criteria: [1, 2] });
    await store.save("knowledge", "notes/today", "# Today\n\nDone.\n", { format: "md" });
    expect(await store.load("seeds", "s1")).toEqual({ goal: "ship", criteria: [1, 2] });
    expect(await store.load("knowledge", "notes/today")).toBe("# Today\n\nDone.\n");
    expect(await readFile(join(root, "seeds", "s1.json"), "utf8")).toBe(
      `${JSON.stringify({ goal: "ship", criteria: [1, 2] }, null, 2)}\n`,
    );
    expect(await readFile(join(root, "knowledge", "notes", "today.md"), "utf8")).toBe("# Today\n\nDone.\n");
    expect(await store.exists("seeds", "s1")).toBe(true);
    expect(await store.exists("seeds", "nope")).toBe(false);
    expect(await store.load("seeds", "nope")).toBeUndefined();
    await store.delete("seeds", "s1");
    expect(await store.exists("seeds", "s1")).toBe(false);
    expect(await store.load("seeds", "s1")).toBeUndefined();
    await store.delete("seeds", "s1");
    await store.close();
  });

  it("switching a key's format leaves one file", async () => {
    const store = await StateStore.open({ root });
    await store.save("docs", "d", { a: 1 });
    await store.save("docs", "d", "text", { format: "md" });
    expect((await readdir(join(root, "docs"))).sort()).toEqual(["d.md"]);
    expect(await store.load("docs", "d")).toBe("text");
    await store.close();
  });

  it("rejects values with no JSON form and non-string Markdown", async () => {
    const store = await StateStore.open({ root });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await rejection(store.save("c", "a", cyclic))).toMatchObject({ code: "STATE_VALUE_INVALID" });
    expect(await rejection(store.save("c", "b", undefined))).toMatchObject({ code: "STATE_VALUE_INVALID" });
    expect(await rejection(store.save("c", "m", { not: "text" }, { format: "md" }))).toMatchObject({
      code: "STATE_VALUE_INVALID",
    });
    expect(await store.exists("c", "a")).toBe(false);
    await store.close();
  });

  it("lists from the directory and the metadata index without opening state files", async () => {
    const clock = new ManualClock(1_000_000);
    const store = await StateStore.open({ root, clock, indexFlushIntervalMs: 500 });
    await store.save("agents", "b", { n: 2 });
    clock.advance(10);
    await store.save("agents", "a", "# A", { format: "md" });
    await store.save("agents", "group/c", { n: 3 });
    // A file that does not parse is still listed: list never parses files.
    await writeFile(join(root, "agents", "broken.json"), "{not json");
    const listed = await store.list("agents");
    expect(listed.map((entry) => [entry.name, entry.format])).toEqual([
      ["a", "md"],
      ["b", "json"],
      ["broken", "json"],
      ["group/c", "json"],
    ]);
    expect(listed.find((entry) => entry.name === "b")?.savedAt).toBe(1_000_000);
    expect(listed.find((entry) => entry.name === "a")?.savedAt).toBe(1_000_010);
    expect(await store.list("empty")).toEqual([]);
    // The index is persisted on the clock's interval, off the write path.
    await expect(readFile(join(root, ".state-index", "agents.json"), "utf8")).rejects.toMatchObject({ code: "ENOENT" });
    await clock.advanceAsync(500);
    await store.flush();
    const index = JSON.parse(await readFile(join(root, ".state-index", "agents.json"), "utf8"));
    expect(Object.keys(index.entries).sort()).toEqual(["a", "b", "group/c"]);
    await store.close();
    // A reopened store reads the persisted index.
    const reopened = await StateStore.open({ root, clock });
    expect((await reopened.list("agents")).find((entry) => entry.name === "a")?.savedAt).toBe(1_000_010);
    await reopened.close();
  });

  it("survives an unreadable metadata index by falling back to file times", async () => {
    const logger = createMemoryLogger();
    await mkdir(join(root, ".state-index"), { recursive: true });
    await mkdir(join(root, "c"), { recursive: true });
    await writeFile(join(root, ".state-index", "c.json"), "{torn");
    await writeFile(join(root, "c", "x.json"), "{}");
    const store = await StateStore.open({ root, logger });
    const [entry] = await store.list("c");
    expect(entry?.name).toBe("x");
    expect(entry?.savedAt).toBeGreaterThan(0);
    expect(logger.find("warn", "index does not parse")).toHaveLength(1);
    await store.close();
  });

  it("warns on the console when no logger is passed, and is silent with core's silentLogger", async () => {
    await mkdir(join(root, ".state-index"), { recursive: true });
    await mkdir(join(root, "c"), { recursive: true });
    await writeFile(join(root, ".state-index", "c.json"), "{torn");
    const warnings = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const store = await StateStore.open({ root });
      await store.list("c");
      await store.close();
      expect(warnings.mock.calls.map((call) => String(call[0])).join("\n")).toContain("index does not parse");
      warnings.mockClear();
      const silent = await StateStore.open({ root, logger: silentLogger });
      await silent.list("c");
      await silent.close();
      expect(warnings).not.toHaveBeenCalled();
    } finally {
      warnings.mockRestore();
    }
  });

  it("gives STATE_CORRUPT naming the file, and leaves it in place", async () => {
    await mkdir(join(root, "sessions"), { recursive: true });
    await writeFile(join(root, "sessions", "s.json"), '{"half": ');
    const store = await StateStore.open({ root });
    const error = await rejection(store.load("sessions", "s"));
    expect(KernelError.hasCode(error, "STATE_CORRUPT")).toBe(true);
    expect((error as KernelError).message).toContain(join(root, "sessions", "s.json"));
    expect((error as KernelError).details?.path).toBe(join(root, "sessions", "s.json"));
    expect(await readFile(join(root, "sessions", "s.json"), "utf8")).toBe('{"half": ');
    await store.close();
  });

  it("a failed write rejects with the cause and leaves the old file intact", async () => {
    const store = await StateStore.open({ root });
    await store.save("config", "main", { version: 1 });
    const restore = await makeReadOnly(join(root, "config"));
    try {
      const error = await rejection(store.save("config", "main", { version: 2 }));
      expect(KernelError.hasCode(error, "STATE_WRITE_FAILED")).toBe(true);
      expect(["EACCES", "EPERM"]).toContain(((error as KernelError).cause as NodeJS.ErrnoException).code);
    } finally {
      await restore();
    }
    expect(await store.load("config", "main")).toEqual({ version: 1 });
    expect(await readdir(join(root, "config"))).toEqual(["main.json"]);
    // And the key keeps working afterwards.
    await store.save("config", "main", { version: 3 });
    expect(await store.load("config", "main")).toEqual({ version: 3 });
    await store.close();
  });

  it("removes leftover temp files at open, and only those", async () => {
    await mkdir(join(root, "seeds", "deep"), { recursive: true });
    await writeFile(join(root, "seeds", "a.json"), "{}");
    await writeFile(join(root, "seeds", "a.json.0123456789abcdef.tmp"), '{"torn');
    await writeFile(join(root, "seeds", "deep", "b.md.fedcba9876543210.tmp"), "x");
    await writeFile(join(root, "seeds", "keep.tmp.json"), "{}");
    const logger = createMemoryLogger();
    const store = await StateStore.open({ root, logger });
    expect((await readdir(join(root, "seeds"), { recursive: true })).sort()).toEqual([
      "a.json",
      "deep",
      "keep.tmp.json",
    ]);
    expect(logger.find("info", "removed leftover temp files")[0]?.fields.count).toBe(2);
    await store.close();
  });

  it("refuses calls after close with STATE_CLOSED", async () => {
    const store = await StateStore.open({ root });
    await store.close();
    expect(await rejection(store.save("c", "a", 1))).toMatchObject({ code: "STATE_CLOSED" });
    expect(await rejection(store.load("c", "a"))).toMatchObject({ code: "STATE_CLOSED" });
  });
});

describe("schema validation (Standard Schema, tested with zod)", () => {
  const Session = z.object({ id: z.string(), turns: z.number().int().nonnegative().default(0) });

  it("validates on save and stores the schema's output", async () => {
    const store = await StateStore.open({ root });
    await store.save("sessions", "s1", { id: "s1" }, { schema: Session });
    expect(await store.load("sessions", "s1", { schema: Session })).toEqual({ id: "s1", turns: 0 });
    const error = await rejection(store.save("sessions", "s2", { id: 7 }, { schema: Session }));
    expect(error).toMatchObject({ code: "STATE_SCHEMA_INVALID" });
    expect((error as KernelError).details?.issues).toEqual([expect.objectContaining({ path: "id" })]);
    expect(await store.exists("sessions", "s2")).toBe(false);
    await store.close();
  });

  it("validates on load", async () => {
    const store = await StateStore.open({ root });
    await store.save("sessions", "bad", { id: "x", turns: -1 });
    const error = await rejection(store.load("sessions", "bad", { schema: Session }));
    expect(error).toMatchObject({ code: "STATE_SCHEMA_INVALID" });
    expect((error as KernelError).message).toContain("bad.json");
    await store.close();
  });

  it("async schemas keep call order: the save called last wins", async () => {
    const store = await StateStore.open({ root });
    let delay = 5;
    const slow = {
      "~standard": {
        version: 1 as const,
        vendor: "test",
        // Earlier calls validate more slowly than later ones, so they finish out of order.
        validate: (value: unknown) => {
          delay -= 1;
          return new Promise<{ value: unknown }>((resolve) => setTimeout(() => resolve({ value }), delay * 5));
        },
      },
    };
    await Promise.all([1, 2, 3, 4, 5].map((n) => store.save("c", "k", { n }, { schema: slow })));
    expect(await store.load("c", "k")).toEqual({ n: 5 });
    await store.close();
  });
});

describe("the coalescing contract", () => {
  it("100 concurrent writers: the file always parses and ends with the save called last", async () => {
    let writes = 0;
    const store = await StateStore.open({ root, changeSink: { changed: () => (writes += 1) } });
    const path = join(root, "sessions", "hot.json");
    await store.save("sessions", "hot", { writer: -1, pad: "x".repeat(512) });
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        const text = await readFile(path, "utf8");
        const value = JSON.parse(text) as { writer: number };
        expect(value.writer).toBeGreaterThanOrEqual(-1);
        reads += 1;
      }
    })();
    const saves: Array<Promise<void>> = [];
    for (let writer = 0; writer < 100; writer++) {
      saves.push(store.save("sessions", "hot", { writer, pad: "x".repeat(512) }));
      // Interleave: some writers arrive while a write is in flight.
      if (writer % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(saves);
    reading = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ writer: 99, pad: "x".repeat(512) });
    // Coalesced: far fewer writes than saves (the first save plus at most one per batch).
    expect(writes).toBeLessThan(30);
    expect((await readdir(join(root, "sessions"))).sort()).toEqual(["hot.json"]);
    await store.close();
  });

  it("each save resolves only once its value or a newer one is on disk (property)", async () => {
    const store = await StateStore.open({ root });
    const path = join(root, "c", "k.json");
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ pauseBefore: fc.nat(3), deleteInstead: fc.boolean() }), { minLength: 1, maxLength: 25 }),
        async (operations) => {
          round += 1;
          const calls: Array<Promise<void>> = [];
          let lastCalled: "deleted" | number = "deleted";
          for (const [seq, operation] of operations.entries()) {
            for (let pause = 0; pause < operation.pauseBefore; pause++) {
              await new Promise((resolve) => setImmediate(resolve));
            }
            const value = round * 1000 + seq;
            if (operation.deleteInstead && seq % 3 === 0) {
              lastCalled = "deleted";
              calls.push(store.delete("c", "k"));
            } else {
              lastCalled = value;
              calls.push(
                store.save("c", "k", { value }).then(() => {
                  // At resolution the file holds this value or a newer one (or a newer delete).
                  let onDisk: number | undefined;
                  try {
                    onDisk = (JSON.parse(readFileSync(path, "utf8")) as { value: number }).value;
                  } catch (error) {
                    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
                  }
                  if (onDisk !== undefined) expect(onDisk).toBeGreaterThanOrEqual(value);
                }),
              );
            }
          }
          await Promise.all(calls);
          const final = await store.load<{ value: number }>("c", "k");
          if (lastCalled === "deleted") expect(final).toBeUndefined();
          else expect(final).toEqual({ value: lastCalled });
        },
      ),
      { numRuns: 40 },
    );
    await store.close();
  });
});

describe("session pruning", () => {
  it("removes sessions past the TTL, then the oldest beyond the cap", async () => {
    const hour = 3_600_000;
    const clock = new ManualClock(0);
    const store = await StateStore.open({ root, clock, sessions: { maxEntries: 3 } });
    await store.save("sessions", "ancient", { n: 0 });
    clock.advance(100 * hour);
    for (const name of ["s1", "s2", "s3", "s4"]) {
      await store.save("sessions", name, { name });
      clock.advance(hour);
    }
    await store.save("seeds", "untouched", {});
    // 169 h after "ancient": it is past the default 168 h TTL; the others are not.
    clock.advance(65 * hour);
    expect(await store.pruneSessions()).toEqual({ removed: ["ancient", "s1"] });
    expect((await store.list("sessions")).map((entry) => entry.name)).toEqual(["s2", "s3", "s4"]);
    expect(await store.exists("seeds", "untouched")).toBe(true);
    // Nothing left to prune: idempotent.
    expect(await store.pruneSessions()).toEqual({ removed: [] });
    clock.advance(200 * hour);
    expect(await store.pruneSessions({ ttlMs: 500 * hour })).toEqual({ removed: [] });
    expect((await store.pruneSessions()).removed).toEqual(["s2", "s3", "s4"]);
    await store.close();
  });

  it("keeps a session saved again while pruning is queued behind its write", async () => {
    const clock = new ManualClock(0);
    const store = await StateStore.open({ root, clock, sessions: { ttlMs: 1000 } });
    await store.save("sessions", "busy", { v: 1 });
    clock.advance(5000);
    const saving = store.save("sessions", "busy", { v: 2 });
    const pruned = store.pruneSessions();
    await saving;
    expect((await pruned).removed).toEqual([]);
    expect(await store.load("sessions", "busy")).toEqual({ v: 2 });
    await store.close();
  });
});
