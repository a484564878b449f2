import { KernelError, kernelLocks, SecretRedactor } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventBus } from "../event-bus.ts";
import type { KernelEventOf } from "../events.ts";
import { canonicalJson } from "../internal/canonical-json.ts";
import { RecordingPublisher } from "../testing/recording-publisher.ts";
import { type AuditEntry, GENESIS_HASH, PRUNED_HASH, sha256Hex } from "./audit-entry.ts";
import { AuditTrail } from "./audit-trail.ts";
import { MemoryAuditStore } from "./memory-audit-store.ts";

async function trailWith(entries: number, options: { retention?: number } = {}) {
  const clock = new ManualClock(1_000);
  const store = new MemoryAuditStore();
  const trail = await AuditTrail.open({ store, clock, ...options });
  for (let index = 0; index < entries; index++) {
    clock.advance(10);
    await trail.append({
      actor: `agent:${index % 3}`,
      action: index % 2 === 0 ? "tool.started" : "task.admitted",
      resource: `r${index}`,
      details: { index },
    });
  }
  return { trail, store, clock };
}

describe("AuditTrail", () => {
  it("chains entries from genesis with a domain-tagged SHA-256 over a canonical encoding", async () => {
    const { trail } = await trailWith(2);
    const [first, second] = await trail.query();
    expect(first?.prevHash).toBe(GENESIS_HASH);
    expect(second?.prevHash).toBe(first?.hash);
    const expected = sha256Hex(
      JSON.stringify(["oxios-audit-v1", 1, 1010, "agent:0", "tool.started", "r0", { index: 0 }, "genesis"]),
    );
    expect(first?.hash).toBe(expected);
    expect(await trail.verify()).toEqual({ ok: true, count: 2, firstSeq: 1, lastSeq: 2 });
  });

  it("redacts known secrets before an entry is hashed and stored", async () => {
    const token = "oxt_secret-token-value";
    const store = new MemoryAuditStore();
    const trail = await AuditTrail.open({
      store,
      clock: new ManualClock(0),
      redactor: new SecretRedactor([{ label: "api-token", value: token }]),
    });
    await trail.append({
      actor: "agent:a",
      action: "tool.denied",
      resource: `path:${token}`,
      details: { reason: `outside: /x/${token}`, paths: [{ path: token }] },
    });
    const entries = await trail.query();
    expect(JSON.stringify(entries)).not.toContain(token);
    expect(entries[0]).toMatchObject({
      resource: "path:[redacted:api-token]",
      details: { reason: "outside: /x/[redacted:api-token]", paths: [{ path: "[redacted:api-token]" }] },
    });
    expect(await trail.verify()).toMatchObject({ ok: true, count: 1 });
  });

  it("encodes details canonically: key order does not change the hash", async () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
    const trail = await AuditTrail.open({ store: new MemoryAuditStore(), clock: new ManualClock(0) });
    const other = await AuditTrail.open({ store: new MemoryAuditStore(), clock: new ManualClock(0) });
    const one = await trail.append({ actor: "a", action: "x", details: { b: 1, a: 2 } });
    const two = await other.append({ actor: "a", action: "x", details: { a: 2, b: 1 } });
    expect(one.hash).toBe(two.hash);
  });

  it("an entry's details are exactly what reading its canonical JSON back gives", async () => {
    const trail = await AuditTrail.open({ store: new MemoryAuditStore(), clock: new ManualClock(0) });
    const details = { b: -0, a: { c: undefined, d: [undefined, Number.NaN, 1] }, e: new Date(0) };
    const entry = await trail.append({ actor: "a", action: "x", details });
    expect(entry.details).toStrictEqual(JSON.parse(canonicalJson(details)));
    expect(Object.is(entry.details.b, 0)).toBe(true);
    await expect(trail.verify()).resolves.toMatchObject({ ok: true });
  });

  it("rejects bad input with AUDIT_INVALID and writes nothing", async () => {
    const trail = await AuditTrail.open({ store: new MemoryAuditStore() });
    await expect(trail.append({ actor: "", action: "x" })).rejects.toMatchObject({ code: "AUDIT_INVALID" });
    await expect(trail.append({ actor: "a", action: "x", details: { n: 10n } })).rejects.toMatchObject({
      code: "AUDIT_INVALID",
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(trail.append({ actor: "a", action: "x", details: cyclic })).rejects.toMatchObject({
      code: "AUDIT_INVALID",
    });
    expect(trail.stats().count).toBe(0);
  });

  it("concurrent appenders (many flows at once) get distinct seqs, share transactions, and the chain verifies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (flows) => {
          const trail = await AuditTrail.open({ store: new MemoryAuditStore() });
          // Each flow appends its entries one after another, yielding a random number of
          // microtasks between them, so flows interleave differently on every run.
          const results = await Promise.all(
            flows.map(async (pauses, flow) => {
              const seqs: number[] = [];
              for (const [step, pause] of pauses.entries()) {
                for (let tick = 0; tick < pause; tick++) await Promise.resolve();
                seqs.push((await trail.append({ actor: `flow${flow}`, action: "step", details: { step } })).seq);
              }
              return seqs;
            }),
          );
          const all = results.flat().sort((a, b) => a - b);
          const total = flows.reduce((sum, pauses) => sum + pauses.length, 0);
          expect(all).toEqual(Array.from({ length: total }, (_, index) => index + 1));
          for (const seqs of results) expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
          expect(await trail.verify()).toMatchObject({ ok: true, count: total });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("group-commits appends made while a transaction is in flight", async () => {
    const trail = await AuditTrail.open({ store: new MemoryAuditStore() });
    await Promise.all(
      Array.from({ length: 500 }, (_, index) => trail.append({ actor: "a", action: "x", details: { index } })),
    );
    expect(trail.stats()).toMatchObject({ count: 500, appended: 500 });
    expect(trail.stats().commits).toBeLessThan(5);
  });

  it("appends from a flow that holds another kernel lock (audit.append is innermost)", async () => {
    const trail = await AuditTrail.open({ store: new MemoryAuditStore() });
    const outer = kernelLocks.mutex("git.commit");
    const entry = await outer.withLock(() => trail.append({ actor: "state-store", action: "state.committed" }));
    expect(entry.seq).toBe(1);
  });

  it("prunes beyond retention, marks the new first entry pruned, and still verifies", async () => {
    const { trail } = await trailWith(25, { retention: 10 });
    const entries = await trail.query();
    expect(entries.map((entry) => entry.seq)).toEqual(Array.from({ length: 10 }, (_, index) => index + 16));
    expect(entries[0]?.prevHash).toBe(PRUNED_HASH);
    expect(await trail.verify()).toEqual({ ok: true, count: 10, firstSeq: 16, lastSeq: 25 });
  });

  it("queries by actor, action and time range, and pages", async () => {
    const { trail } = await trailWith(12);
    expect((await trail.query({ actor: "agent:1" })).map((entry) => entry.seq)).toEqual([2, 5, 8, 11]);
    expect((await trail.query({ action: "task.admitted", actor: "agent:1" })).map((entry) => entry.seq)).toEqual([
      2, 8,
    ]);
    // entry n is at 1000 + 10n
    expect((await trail.query({ from: 1030, to: 1060 })).map((entry) => entry.seq)).toEqual([3, 4, 5]);
    expect((await trail.query({ afterSeq: 10, limit: 1 })).map((entry) => entry.seq)).toEqual([11]);
  });

  it("exports JSONL, one entry per line, which re-imports into a chain that verifies", async () => {
    const { trail } = await trailWith(1500);
    let text = "";
    for await (const line of trail.exportJsonl()) text += line;
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(1500);
    const entries = lines.map((line) => JSON.parse(line) as AuditEntry);
    expect(Object.keys(entries[0] as AuditEntry)).toEqual([
      "seq",
      "at",
      "actor",
      "action",
      "resource",
      "details",
      "prevHash",
      "hash",
    ]);
    const last = entries[entries.length - 1] as AuditEntry;
    const copy = await AuditTrail.open({
      store: new MemoryAuditStore({
        entries,
        state: { firstSeq: 1, lastSeq: 1500, lastHash: last.hash, anchor: GENESIS_HASH },
      }),
    });
    expect(await copy.verify()).toMatchObject({ ok: true, count: 1500 });
    let filtered = 0;
    for await (const _line of trail.exportJsonl({ actor: "agent:2" })) filtered += 1;
    expect(filtered).toBe(500);
  });

  describe("tampering is found by verify()", () => {
    async function tampered(edit: (entries: AuditEntry[]) => AuditEntry[]) {
      const { trail } = await trailWith(30);
      const entries = await trail.query();
      const last = entries[entries.length - 1] as AuditEntry;
      const copy = await AuditTrail.open({
        store: new MemoryAuditStore({
          entries: edit(entries.map((entry) => ({ ...entry }))),
          state: { firstSeq: 1, lastSeq: 30, lastHash: last.hash, anchor: GENESIS_HASH },
        }),
      });
      return copy.verify();
    }

    it("an edited row", async () => {
      const result = await tampered((entries) =>
        entries.map((entry) => (entry.seq === 12 ? { ...entry, actor: "mallory" } : entry)),
      );
      expect(result).toEqual({ ok: false, seq: 12, reason: "hash-mismatch" });
    });

    it("an edited row whose hash was recomputed breaks the next link", async () => {
      const { trail } = await trailWith(30);
      const entries = await trail.query();
      const target = entries[11] as AuditEntry;
      const forged = { ...target, details: { index: 999 } };
      const hash = sha256Hex(
        JSON.stringify([
          "oxios-audit-v1",
          forged.seq,
          forged.at,
          forged.actor,
          forged.action,
          forged.resource,
          forged.details,
          forged.prevHash,
        ]),
      );
      const result = await tampered((rows) => rows.map((entry) => (entry.seq === 12 ? { ...forged, hash } : entry)));
      expect(result).toEqual({ ok: false, seq: 13, reason: "broken-link" });
    });

    it("a deleted row", async () => {
      expect(await tampered((entries) => entries.filter((entry) => entry.seq !== 7))).toEqual({
        ok: false,
        seq: 7,
        reason: "missing",
      });
      expect(await tampered((entries) => entries.filter((entry) => entry.seq !== 30))).toEqual({
        ok: false,
        seq: 30,
        reason: "missing",
      });
      expect(await tampered((entries) => entries.filter((entry) => entry.seq !== 1))).toEqual({
        ok: false,
        seq: 1,
        reason: "missing",
      });
    });

    it("reordered rows", async () => {
      const result = await tampered((entries) =>
        entries.map((entry) =>
          entry.seq === 5 ? { ...entry, seq: 6 } : entry.seq === 6 ? { ...entry, seq: 5 } : entry,
        ),
      );
      expect(result).toMatchObject({ ok: false, seq: 5 });
    });

    it("an appended row that the head does not know", async () => {
      const result = await tampered((entries) => [...entries, { ...(entries[29] as AuditEntry), seq: 31 }]);
      expect(result).toEqual({ ok: false, seq: 31, reason: "unexpected-entry" });
    });
  });

  it("a failing store rejects the append with AUDIT_STORE_FAILED and publishes audit.failed", async () => {
    const store = new MemoryAuditStore();
    const publisher = new RecordingPublisher();
    const trail = await AuditTrail.open({ store, publisher, clock: new ManualClock(0) });
    await trail.append({ actor: "a", action: "x" });
    await store.close();
    const error = await trail.append({ actor: "a", action: "y" }).catch((caught: unknown) => caught);
    expect(KernelError.hasCode(error, "AUDIT_STORE_FAILED")).toBe(true);
    expect((error as KernelError).details).toMatchObject({ cause: "AUDIT_STORE_CLOSED" });
    const failed = publisher.ofType("audit.failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.payload).toMatchObject({ error: { code: "AUDIT_STORE_FAILED" }, pending: 1 });
  });

  it("publishes audit.failed on a real bus that is being listened to", async () => {
    const bus = new EventBus();
    const seen: KernelEventOf<"audit.failed">[] = [];
    bus.on("audit.failed", (event) => seen.push(event));
    const store = new MemoryAuditStore();
    const trail = await AuditTrail.open({ store, publisher: bus });
    await store.close();
    await expect(trail.append({ actor: "a", action: "x" })).rejects.toMatchObject({ code: "AUDIT_STORE_FAILED" });
    expect(seen).toHaveLength(1);
  });

  it("close waits for queued appends and refuses new ones", async () => {
    const trail = await AuditTrail.open({ store: new MemoryAuditStore() });
    const pending = Array.from({ length: 10 }, (_, index) =>
      trail.append({ actor: "a", action: "x", details: { index } }),
    );
    await trail.close();
    expect((await Promise.all(pending)).map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await expect(trail.append({ actor: "a", action: "x" })).rejects.toMatchObject({ code: "AUDIT_CLOSED" });
  });
});
