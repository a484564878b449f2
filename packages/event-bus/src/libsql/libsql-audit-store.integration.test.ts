import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { KernelError } from "@oxios/core";
import { openDatabase } from "@oxios/database";
import { startSqld } from "@oxios/tooling/sqld";
import Database from "libsql";
import { afterEach, describe, expect, it } from "vitest";
import { AuditTrail } from "../audit/audit-trail.ts";
import { EventBus } from "../event-bus.ts";
import type { KernelEventOf } from "../events.ts";
import { LibsqlAuditStore } from "./libsql-audit-store.ts";

const directories: string[] = [];
function databasePath(): string {
  const directory = mkdtempSync(join(tmpdir(), "oxios-audit-"));
  directories.push(directory);
  return join(directory, "audit.db");
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

async function filledTrail(path: string, count: number, retention?: number): Promise<AuditTrail> {
  const trail = await AuditTrail.open({
    store: await LibsqlAuditStore.open({ url: `file:${path}` }),
    ...(retention === undefined ? {} : { retention }),
  });
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      trail.append({ actor: `a${index % 4}`, action: "x", details: { index } }),
    ),
  );
  return trail;
}

/** Tampers with the file through a second, raw connection, as an attacker with file access would. */
function tamper(path: string, sql: string): void {
  const db = new Database(path);
  db.exec(sql);
  db.close();
}

describe("LibsqlAuditStore", () => {
  it("keeps the chain across reopen, in WAL mode", async () => {
    const path = databasePath();
    const trail = await filledTrail(path, 50);
    await trail.close();
    const reopened = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url: `file:${path}` }) });
    expect(await reopened.verify()).toEqual({ ok: true, count: 50, firstSeq: 1, lastSeq: 50 });
    expect((await reopened.append({ actor: "a", action: "y" })).seq).toBe(51);
    expect((await reopened.query({ actor: "a1" })).length).toBe(13);
    await reopened.close();
    const raw = new Database(path);
    expect(raw.pragma("journal_mode", { simple: true })).toMatchObject({ journal_mode: "wal" });
    raw.close();
  });

  it("prunes beyond retention in the file and verifies after reopen", async () => {
    const path = databasePath();
    const trail = await filledTrail(path, 40, 15);
    await trail.close();
    const reopened = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url: `file:${path}` }) });
    expect(await reopened.verify()).toEqual({ ok: true, count: 15, firstSeq: 26, lastSeq: 40 });
    expect((await reopened.query({ limit: 1 }))[0]?.prevHash).toBe("pruned");
    await reopened.close();
  });

  describe("verify() finds tampering in the file", () => {
    async function verifyAfter(sql: string) {
      const path = databasePath();
      await (await filledTrail(path, 30)).close();
      tamper(path, sql);
      const trail = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url: `file:${path}` }) });
      const result = await trail.verify();
      await trail.close();
      return result;
    }

    it("an edited row", async () => {
      expect(await verifyAfter("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 9")).toEqual({
        ok: false,
        seq: 9,
        reason: "hash-mismatch",
      });
    });

    it("a deleted row", async () => {
      expect(await verifyAfter("DELETE FROM audit_entries WHERE seq = 17")).toEqual({
        ok: false,
        seq: 17,
        reason: "missing",
      });
    });

    it("reordered rows", async () => {
      const result = await verifyAfter(
        "UPDATE audit_entries SET seq = -1 WHERE seq = 4; UPDATE audit_entries SET seq = 4 WHERE seq = 5; UPDATE audit_entries SET seq = 5 WHERE seq = -1;",
      );
      expect(result).toMatchObject({ ok: false, seq: 4 });
    });

    it("a truncated tail", async () => {
      expect(await verifyAfter("DELETE FROM audit_entries WHERE seq > 25")).toEqual({
        ok: false,
        seq: 26,
        reason: "missing",
      });
    });
  });

  it("two trails on one file never fork the chain", async () => {
    const path = databasePath();
    const first = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url: `file:${path}` }) });
    const second = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url: `file:${path}` }) });
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (index % 2 === 0 ? first : second).append({ actor: `t${index % 2}`, action: "x" }),
      ),
    );
    expect(await first.verify()).toMatchObject({ ok: true, count: 40 });
    await first.close();
    await second.close();
  });

  it("over a shared database it records its schema version and leaves the database open on close", async () => {
    const database = await openDatabase({ url: `file:${databasePath()}` });
    const trail = await AuditTrail.open({ store: await LibsqlAuditStore.open({ database }) });
    await trail.append({ actor: "a", action: "x" });
    await trail.close();
    expect(database.isOpen).toBe(true);
    expect(database.all("SELECT prefix, version FROM database_migrations")).toEqual([{ prefix: "audit_", version: 1 }]);
    expect(database.get("SELECT count(*) AS n FROM audit_entries")).toEqual({ n: 1 });
    database.close();
  });

  it("a closed database surfaces to the appender and on the bus", async () => {
    const bus = new EventBus();
    const failed: KernelEventOf<"audit.failed">[] = [];
    bus.on("audit.failed", (event) => failed.push(event));
    const store = await LibsqlAuditStore.open({ url: `file:${databasePath()}` });
    const trail = await AuditTrail.open({ store, publisher: bus });
    await store.close();
    const error = await trail.append({ actor: "a", action: "x" }).catch((caught: unknown) => caught);
    expect(KernelError.hasCode(error, "AUDIT_STORE_FAILED")).toBe(true);
    expect(failed[0]?.payload.error.code).toBe("AUDIT_STORE_FAILED");
  });

  it("translates open failures and rejects ws:// URLs", async () => {
    await expect(LibsqlAuditStore.open({ url: "file:/nonexistent-dir/x/y/audit.db" })).rejects.toMatchObject({
      code: "DATABASE_OPEN_FAILED",
    });
    await expect(LibsqlAuditStore.open({ url: "ws://127.0.0.1:8080" })).rejects.toMatchObject({
      code: "DATABASE_REMOTE_UNSUPPORTED",
    });
  });

  it("crash test: after SIGKILL mid-append, the chain verifies and every acknowledged append is present", async () => {
    const path = databasePath();
    const packageDir = resolve(import.meta.dirname, "..", "..");
    // Always a Node child (the test itself may run under Bun or Deno).
    const child = spawn(
      "node",
      [
        "--conditions=@oxios/source",
        "--import",
        "tsx",
        join(packageDir, "test", "__fixtures__", "crash-appender.ts"),
        path,
      ],
      { cwd: packageDir, stdio: ["ignore", "pipe", "pipe"] },
    );
    const acknowledged = new Map<number, string>();
    let stderr = "";
    child.stderr.on("data", (chunk: Uint8Array) => {
      stderr += new TextDecoder().decode(chunk);
    });
    const exited = new Promise<string | null>((resolveExit) =>
      child.on("exit", (_code, signal) => resolveExit(signal)),
    );
    let buffered = "";
    await new Promise<void>((resolveKill, rejectKill) => {
      child.stdout.on("data", (chunk: Uint8Array) => {
        buffered += new TextDecoder().decode(chunk);
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
          const [seq, hash] = line.split(" ");
          if (hash !== undefined) acknowledged.set(Number(seq), hash);
        }
        if (acknowledged.size >= 400 && !child.killed) {
          child.kill("SIGKILL");
          resolveKill();
        }
      });
      child.on("exit", () => {
        if (!child.killed) rejectKill(new Error(`appender exited early: ${stderr}`));
      });
    });
    expect(await exited).toBe("SIGKILL");
    const trail = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url: `file:${path}` }) });
    const verification = await trail.verify();
    expect(verification).toMatchObject({ ok: true });
    const entries = await trail.query({ limit: 1_000_000 });
    const stored = new Map(entries.map((entry) => [entry.seq, entry.hash]));
    for (const [seq, hash] of acknowledged) expect(stored.get(seq)).toBe(hash);
    expect(entries.length).toBeGreaterThanOrEqual(acknowledged.size);
    // and the chain continues cleanly after the crash
    expect((await trail.append({ actor: "after", action: "crash.recovered" })).seq).toBe(entries.length + 1);
    await trail.close();
  });

  it("keeps one chain written by three node processes on one sqld: every append lands, and it verifies", async () => {
    const server = await startSqld();
    try {
      const packageDir = resolve(import.meta.dirname, "..", "..");
      const nodes = ["node-a", "node-b", "node-c"];
      // Each node opens its trail and says "ready"; all start appending on one "go", so their
      // transactions overlap however slowly the processes boot.
      const children: ChildProcess[] = [];
      let ready = 0;
      const reports = await Promise.all(
        nodes.map(
          (node) =>
            new Promise<{ node: string; appended: number; failed: number }>((resolveReport, rejectReport) => {
              const child = spawn(
                "node",
                [
                  "--conditions=@oxios/source",
                  "--import",
                  "tsx",
                  join(packageDir, "test", "__fixtures__", "cluster-appender.ts"),
                  server.url,
                  node,
                  "20",
                ],
                { cwd: packageDir, stdio: ["pipe", "pipe", "pipe"] },
              );
              children.push(child);
              let output = "";
              let saidReady = false;
              child.stdout.on("data", (chunk: Uint8Array) => {
                output += new TextDecoder().decode(chunk);
                if (!saidReady && output.includes("ready\n")) {
                  saidReady = true;
                  ready += 1;
                  if (ready === nodes.length) for (const each of children) each.stdin?.end("go\n");
                }
              });
              child.stderr.on("data", (chunk: Uint8Array) => {
                output += new TextDecoder().decode(chunk);
              });
              child.on("exit", (code) => {
                if (code !== 0) rejectReport(new Error(`${node} exited ${code}: ${output}`));
                else resolveReport(JSON.parse(output.trim().split("\n").at(-1) ?? "{}"));
              });
            }),
        ),
      );
      // 20 rounds of 1..5 appends: 60 per node.
      expect(reports.map((report) => [report.appended, report.failed])).toEqual([
        [60, 0],
        [60, 0],
        [60, 0],
      ]);
      const trail = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url: server.url }) });
      expect(await trail.verify()).toEqual({ ok: true, count: 180, firstSeq: 1, lastSeq: 180 });
      for (const node of ["node-a", "node-b", "node-c"]) expect((await trail.query({ actor: node })).length).toBe(60);
      await trail.close();
    } finally {
      await server.close();
    }
    // Three processes racing on one server: a count-bound test that a loaded machine makes slow.
  }, 300_000);
});
