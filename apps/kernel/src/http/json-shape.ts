/**
 * A one-pass scan of a JSON body's raw bytes, chunk by chunk as they arrive, that measures
 * what makes `JSON.parse` expensive before it runs: nesting depth (a 10 MB body of nested
 * arrays took seconds to parse and then to validate) and the number of values (a 10 MB
 * object of short members took over a second). It reads each byte once and keeps three
 * numbers and two flags, so a body can be refused after the first chunk that crosses a
 * limit, before the rest has arrived.
 *
 * It does not validate JSON (the parser does that afterwards); it only has to agree with the
 * parser on valid JSON: brackets inside strings (escapes included) do not count. UTF-8 is
 * scanned as bytes: every byte of a multi-byte character is ≥ 0x80, so none of them is taken
 * for a quote, a backslash or a bracket.
 *
 * - `depth`: the deepest nesting of arrays and objects (`1` → 0, `[]` → 1, `[{"a":[]}]` → 3).
 * - `values`: array elements plus object members, over the whole document.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export interface JsonShapeLimits {
  /** Deepest nesting allowed. */
  maxDepth: number;
  /** Most array elements plus object members allowed. */
  maxValues: number;
}

export type JsonShapeRefusal = "too-deep" | "too-many-values";

export class JsonShapeScanner {
  readonly #limits: JsonShapeLimits;
  #depth = 0;
  #maxDepth = 0;
  #values = 0;
  #inString = false;
  #escaped = false;
  /** Just after `[` or `{`: the next token either closes the container or is its first value. */
  #opened = false;
  #refusal: JsonShapeRefusal | undefined;

  constructor(limits: JsonShapeLimits) {
    this.#limits = limits;
  }

  /** The deepest nesting seen so far. */
  get depth(): number {
    return this.#maxDepth;
  }

  /** Array elements plus object members seen so far. */
  get values(): number {
    return this.#values;
  }

  /** Scans the next chunk; returns why the body is refused once a limit is crossed (and from then on). */
  push(chunk: Uint8Array): JsonShapeRefusal | undefined {
    if (this.#refusal !== undefined) return this.#refusal;
    const { maxDepth, maxValues } = this.#limits;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index] as number;
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === BACKSLASH) this.#escaped = true;
        else if (byte === QUOTE) this.#inString = false;
        continue;
      }
      if (isWhitespace(byte)) continue;
      if (this.#opened) {
        this.#opened = false;
        if (byte !== CLOSE_ARRAY && byte !== CLOSE_OBJECT) this.#values++;
      }
      if (byte === QUOTE) {
        this.#inString = true;
      } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
        this.#depth++;
        this.#opened = true;
        if (this.#depth > this.#maxDepth) this.#maxDepth = this.#depth;
        if (this.#depth > maxDepth) return this.#refuse("too-deep");
      } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
        this.#depth--;
      } else if (byte === COMMA) {
        this.#values++;
      }
      if (this.#values > maxValues) return this.#refuse("too-many-values");
    }
    return undefined;
  }

  #refuse(refusal: JsonShapeRefusal): JsonShapeRefusal {
    this.#refusal = refusal;
    return refusal;
  }
}

/** The shape of a whole text (for tests and the bench). */
export function jsonShape(text: string): { depth: number; values: number } {
  const scanner = new JsonShapeScanner({ maxDepth: Number.POSITIVE_INFINITY, maxValues: Number.POSITIVE_INFINITY });
  scanner.push(new TextEncoder().encode(text));
  return { depth: scanner.depth, values: scanner.values };
}
