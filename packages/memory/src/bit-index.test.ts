import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BitIndex } from "./bit-index.ts";

const BYTES = 64;

function hamming(a: Uint8Array, b: Uint8Array): number {
  let distance = 0;
  for (let index = 0; index < a.length; index++) {
    let x = (a[index] as number) ^ (b[index] as number);
    while (x !== 0) {
      distance += x & 1;
      x >>>= 1;
    }
  }
  return distance;
}

/** A code `flips` random bits away from `base`. */
function near(base: Uint8Array, flips: number, random: () => number): Uint8Array {
  const code = base.slice();
  for (let flip = 0; flip < flips; flip++) {
    const bit = Math.floor(random() * BYTES * 8);
    code[bit >> 3] = (code[bit >> 3] as number) ^ (1 << (bit & 7));
  }
  return code;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomCode(random: () => number): Uint8Array {
  return Uint8Array.from({ length: BYTES }, () => Math.floor(random() * 256));
}

/** The k-th smallest distance among `codes` to `query`: every correct top-k has the same distances. */
function bruteDistances(codes: Map<number, Uint8Array>, query: Uint8Array, allowed?: Set<number>): number[] {
  return [...codes.entries()]
    .filter(([seq]) => allowed === undefined || allowed.has(seq))
    .map(([, code]) => hamming(code, query))
    .sort((a, b) => a - b);
}

const codeArbitrary = fc.uint8Array({ minLength: BYTES, maxLength: BYTES });
const operation = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), seq: fc.integer({ min: 1, max: 60 }), code: codeArbitrary }),
  fc.record({ kind: fc.constant("delete" as const), seq: fc.integer({ min: 1, max: 60 }) }),
);

describe("BitIndex", () => {
  it("the k nearest codes by popcount are those a brute-force scan finds, through any sequence of sets and deletes", () => {
    fc.assert(
      fc.property(
        fc.array(operation, { maxLength: 120 }),
        codeArbitrary,
        fc.integer({ min: 1, max: 70 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 30 }),
        (operations, query, k, allowedList) => {
          const index = new BitIndex(BYTES);
          const model = new Map<number, Uint8Array>();
          for (const op of operations) {
            if (op.kind === "set") {
              index.set(op.seq, op.code);
              model.set(op.seq, op.code);
            } else {
              expect(index.delete(op.seq)).toBe(model.delete(op.seq));
            }
          }
          expect(index.size).toBe(model.size);
          expect(new Set(index.seqs())).toEqual(new Set(model.keys()));
          for (const [seq, code] of model) expect(index.code(seq)).toEqual(code);

          const found = index.nearest(query, k);
          const expected = bruteDistances(model, query).slice(0, k);
          expect(found.map((seq) => hamming(model.get(seq) as Uint8Array, query)).sort((a, b) => a - b)).toEqual(
            expected,
          );
          expect(new Set(found).size).toBe(found.length);

          const allowed = new Set(allowedList);
          const filtered = index.nearest(query, k, allowed);
          expect(filtered.every((seq) => allowed.has(seq))).toBe(true);
          expect(filtered.map((seq) => hamming(model.get(seq) as Uint8Array, query)).sort((a, b) => a - b)).toEqual(
            bruteDistances(model, query, allowed).slice(0, k),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("grows past its first capacity and keeps every code", () => {
    const random = seeded(1);
    const index = new BitIndex(BYTES);
    const codes = Array.from({ length: 5_000 }, () => randomCode(random));
    codes.forEach((code, seq) => {
      index.set(seq, code);
    });
    expect(index.size).toBe(5_000);
    expect(index.code(4_321)).toEqual(codes[4_321]);
    expect(index.nearest(codes[17] as Uint8Array, 1)).toEqual([17]);
  });

  it("finds a near-duplicate through the band lists, and nothing beyond the distance asked", () => {
    const random = seeded(2);
    const index = new BitIndex(BYTES);
    const base = randomCode(random);
    for (let seq = 0; seq < 2_000; seq++) index.set(seq, randomCode(random));
    index.set(5_000, near(base, 20, random));
    index.set(5_001, near(base, 200, random));
    const matches = index.candidatesNear(base, 90);
    expect(matches.map((match) => match.seq)).toEqual([5_000]);
    expect(matches[0]?.distance).toBe(hamming(index.code(5_000) as Uint8Array, base));
    // Moved by a delete (the last code fills the hole): still found.
    index.delete(3);
    index.delete(5_000);
    expect(index.candidatesNear(base, 90)).toEqual([]);
    index.set(5_000, near(base, 10, random));
    expect(index.candidatesNear(base, 90).map((match) => match.seq)).toEqual([5_000]);
  });

  it("finds nearly every pair at cosine distance 0.05 (about 10 % of bits differ)", () => {
    const random = seeded(3);
    const index = new BitIndex(BYTES);
    const bases = Array.from({ length: 500 }, () => randomCode(random));
    bases.forEach((base, seq) => {
      index.set(seq, near(base, 52, random));
    });
    const found = bases.filter((base, seq) => index.candidatesNear(base, 93).some((match) => match.seq === seq));
    expect(found.length).toBeGreaterThanOrEqual(495);
  });

  it("exports what addMany loads back", () => {
    const random = seeded(4);
    const index = new BitIndex(BYTES);
    for (let seq = 10; seq < 1_500; seq += 3) index.set(seq, randomCode(random));
    index.delete(13);
    const { seqs, codes } = index.export();
    const copy = new BitIndex(BYTES);
    copy.addMany(seqs, codes);
    expect(copy.seqs()).toEqual(index.seqs());
    const query = randomCode(random);
    expect(copy.nearest(query, 25).sort()).toEqual(index.nearest(query, 25).sort());
    expect(() => copy.addMany([10], randomCode(random))).toThrow(/already indexed/);
    expect(() => copy.set(1, new Uint8Array(8))).toThrow(/64 bytes/);
  });

  it("keeps no band lists while empty: an index without codes costs far less than their 8 MB", () => {
    const before = process.memoryUsage().arrayBuffers;
    const indexes = Array.from({ length: 8 }, () => new BitIndex(BYTES));
    const perIndex = (process.memoryUsage().arrayBuffers - before) / indexes.length;
    expect(perIndex).toBeLessThan(2 ** 20);
    // The first code makes them; a near-duplicate is found, before and after a clear.
    const random = seeded(5);
    const [index] = indexes as [BitIndex];
    expect(index.candidatesNear(randomCode(random), 90)).toEqual([]);
    const base = randomCode(random);
    index.set(1, near(base, 10, random));
    expect(index.candidatesNear(base, 90).map((match) => match.seq)).toEqual([1]);
    index.clear();
    expect(index.candidatesNear(base, 90)).toEqual([]);
    index.set(2, near(base, 10, random));
    expect(index.candidatesNear(base, 90).map((match) => match.seq)).toEqual([2]);
    index.delete(2);
    expect(index.candidatesNear(base, 90)).toEqual([]);
  });
});
