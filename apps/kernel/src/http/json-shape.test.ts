import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonShapeScanner, jsonShape } from "./json-shape.ts";

/** The shape computed from what JSON.parse builds: the reference the scanner must agree with. */
function parsedShape(value: unknown): { depth: number; values: number } {
  if (typeof value !== "object" || value === null) return { depth: 0, values: 0 };
  const children = Array.isArray(value) ? value : Object.values(value);
  let depth = 0;
  let values = children.length;
  for (const child of children) {
    const shape = parsedShape(child);
    depth = Math.max(depth, shape.depth);
    values += shape.values;
  }
  return { depth: depth + 1, values };
}

/** Feeds `bytes` to a scanner in the pieces `cuts` makes. */
function scanInPieces(bytes: Uint8Array, cuts: number[], limits = { maxDepth: Infinity, maxValues: Infinity }) {
  const scanner = new JsonShapeScanner(limits);
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  let refusal: string | undefined;
  let from = 0;
  for (const point of [...points, bytes.length]) {
    refusal = scanner.push(bytes.subarray(from, point)) ?? refusal;
    from = point;
  }
  return { scanner, refusal };
}

const documents = fc.oneof(
  fc.jsonValue({ maxDepth: 12 }),
  fc.jsonValue({ maxDepth: 6, stringUnit: "binary" }),
  fc.jsonValue({ maxDepth: 6, stringUnit: fc.constantFrom("[", "]", "{", "}", '"', "\\", ",", "a", "é") }),
);

describe("JsonShapeScanner", () => {
  it("agrees with JSON.parse on depth and value count, however the bytes are split (property)", () => {
    fc.assert(
      fc.property(documents, fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), (value, indent, cuts) => {
        const text = JSON.stringify(value, null, indent ? 2 : undefined);
        const expected = parsedShape(JSON.parse(text));
        const { scanner } = scanInPieces(new TextEncoder().encode(text), cuts);
        expect({ depth: scanner.depth, values: scanner.values }).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses exactly when JSON.parse-based depth or count passes a limit (property)", () => {
    fc.assert(
      fc.property(
        documents,
        fc.nat(8),
        fc.nat(40),
        fc.array(fc.nat(), { maxLength: 4 }),
        (value, maxDepth, maxValues, cuts) => {
          const text = JSON.stringify(value);
          const expected = parsedShape(JSON.parse(text));
          const { refusal } = scanInPieces(new TextEncoder().encode(text), cuts, { maxDepth, maxValues });
          expect(refusal !== undefined).toBe(expected.depth > maxDepth || expected.values > maxValues);
          if (expected.depth > maxDepth && expected.values <= maxValues) expect(refusal).toBe("too-deep");
          if (expected.values > maxValues && expected.depth <= maxDepth) expect(refusal).toBe("too-many-values");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("ignores brackets in strings, escaped quotes included", () => {
    const tricky = String.raw`{"a":"[[[{\"]]]","b":["\\",{"c":"\\\""}]}`;
    expect(jsonShape(tricky)).toEqual({ depth: 3, values: 5 });
    expect(parsedShape(JSON.parse(tricky))).toEqual({ depth: 3, values: 5 });
    expect(jsonShape("1")).toEqual({ depth: 0, values: 0 });
    expect(jsonShape("[ ]")).toEqual({ depth: 1, values: 0 });
  });

  it("refuses a deep body at the first chunk that crosses the limit", () => {
    const scanner = new JsonShapeScanner({ maxDepth: 64, maxValues: 10_000 });
    expect(scanner.push(new TextEncoder().encode("[".repeat(64)))).toBeUndefined();
    expect(scanner.push(new TextEncoder().encode("["))).toBe("too-deep");
    expect(scanner.push(new TextEncoder().encode("]"))).toBe("too-deep");
  });
});
