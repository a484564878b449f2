/**
 * Group commit of the audit trail on a real libsql file, with a `gather` the test opens by
 * hand (a barrier in place of the kernel's event-loop turn): what is appended before it opens
 * shares one transaction; a transaction that fails fails exactly its appends and stores none
 * of their entries; hashes from Node's native SHA-256 are the portable ones.
 */

import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelError } from "@oxios/core";
import fc from "fast-check";
import Database from "libsql";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditChainState, AuditEntry } from "../audit/audit-entry.ts";
import { AuditTrail } from "../audit/audit-trail.ts";
import { LibsqlAuditStore } from "./libsql-audit-store.ts";

const directories: string[] = [];
function databasePath(): string {
  const directory = mkdtempSync(join(tmpdir(), "oxios-audit-gc-"));
  directories.push(directory);
  return join(directory, "audit.db");
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** A `gather` that waits until the test opens it; `waiting` counts the drains held there. */
function barrier() {
  let waiting = 0;
  let openers: Array<() => void> = [];
  return {
    gather: () =>
      new Promise<void>((resolve) => {
        waiting++;
        openers.push(resolve);
      }),
    get waiting() {
      return waiting;
    },
    open() {
      const held = openers;
      openers = [];
      waiting = 0;
      for (const resolve of held) resolve();
    },
  };
}

/** The store, counting its transactions (each `appendOnHead` is one), committed or not. */
async function countingStore(path: string) {
  const store = await LibsqlAuditStore.open({ url: `file:${path}` });
  let transactions = 0;
  const appendOnHead = store.appendOnHead.bind(store);
  store.appendOnHead = (chain: (head: AuditChainState) => AuditEntry[]) => {
    transactions++;
    return appendOnHead(chain);
  };
  return { store, transactions: () => transactions };
}

function storedRows(path: string): Array<{ seq: number; actor: string; action: string }> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT seq, actor, action FROM audit_entries ORDER BY seq").all() as Array<{
      seq: number;
      actor: string;
      action: string;
    }>;
  } finally {
    db.close();
  }
}

const nativeSha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("AuditTrail group commit on libsql", () => {
  it("appends made in any order of ticks before the gather ends share one transaction, each lands once, in call order", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Per appender: how many microtasks it waits before appending.
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 150 }),
        async (pauses) => {
          const path = databasePath();
          const { store, transactions } = await countingStore(path);
          const gate = barrier();
          const trail = await AuditTrail.open({ store, gather: gate.gather, sha256: nativeSha256 });
          const called: string[] = [];
          const appends = pauses.map(async (pause, index) => {
            for (let tick = 0; tick < pause; tick++) await Promise.resolve();
            called.push(`writer${index}`);
            return trail.append({ actor: `writer${index}`, action: "burst", details: { index } });
          });
          // Every appender has queued its entry (the drain waits at the gather meanwhile).
          for (let tick = 0; tick < 10; tick++) await Promise.resolve();
          expect(trail.stats().pending).toBe(pauses.length);
          expect(gate.waiting).toBe(1);
          gate.open();
          const entries = await Promise.all(appends);
          expect(transactions()).toBe(1);
          // Each append got its own entry, seqs 1..n in the order the appends were made.
          const bySeq = [...entries].sort((a, b) => a.seq - b.seq);
          expect(bySeq.map((entry) => entry.seq)).toEqual(pauses.map((_, index) => index + 1));
          expect(bySeq.map((entry) => entry.actor)).toEqual(called);
          expect(storedRows(path).map((row) => row.actor)).toEqual(called);
          await trail.close();
          // A trail with the portable SHA-256 verifies what the native one chained.
          const reopened = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url: `file:${path}` }) });
          expect(await reopened.verify()).toEqual({
            ok: true,
            count: pauses.length,
            firstSeq: 1,
            lastSeq: pauses.length,
          });
          await reopened.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it("a transaction that fails rejects every append in it and stores none of them; the chain goes on", async () => {
    const path = databasePath();
    const { store, transactions } = await countingStore(path);
    const gate = barrier();
    const trail = await AuditTrail.open({ store, gather: gate.gather, sha256: nativeSha256 });
    const before = trail.append({ actor: "early", action: "ok" });
    gate.open();
    await before;
    await trail.flush();
    // A real failure inside the transaction, after some of its rows were inserted.
    const raw = new Database(path);
    raw.exec(
      "CREATE TRIGGER poison BEFORE INSERT ON audit_entries WHEN NEW.action = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
    );
    raw.close();
    const batch = [
      trail.append({ actor: "a", action: "ok" }),
      trail.append({ actor: "b", action: "ok" }),
      trail.append({ actor: "c", action: "poison" }),
      trail.append({ actor: "d", action: "ok" }),
    ];
    expect(gate.waiting).toBe(1);
    gate.open();
    const outcomes = await Promise.allSettled(batch);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      const error = (outcome as PromiseRejectedResult).reason as KernelError;
      expect(KernelError.hasCode(error, "AUDIT_STORE_FAILED")).toBe(true);
      expect(error.message).toMatch(/poisoned/);
    }
    expect(transactions()).toBe(2);
    expect(storedRows(path).map((row) => row.actor)).toEqual(["early"]);
    await trail.flush();
    // The next transaction chains onto the last committed entry.
    const after = trail.append({ actor: "after", action: "ok" });
    gate.open();
    expect((await after).seq).toBe(2);
    expect(await trail.verify()).toEqual({ ok: true, count: 2, firstSeq: 1, lastSeq: 2 });
    await trail.close();
  });
});
