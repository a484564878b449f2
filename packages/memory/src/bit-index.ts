/**
 * The in-process index of sign codes (see `sign-quantizer.ts`): one code per memory, held back
 * to back in WebAssembly memory (512 bits = 64 bytes a memory), scanned with popcount
 * (`hamming.wat`) for the codes nearest a query. A histogram of the distances gives the cut-off
 * for the best `k` in one pass, and a second pass collects them, so a scan costs two linear
 * passes and no sort.
 *
 * Near-duplicates are found without a scan: the first 512 bits of every code are cut into 32
 * bands of 16 bits, and each band value keeps a list of the codes that carry it (locality-
 * sensitive hashing by banding). Two vectors at angle θ differ in a bit with probability θ/π,
 * so two at cosine distance 0.05 (θ ≈ 18°, ~10 % of bits) share at least one whole band with
 * probability 1 − (1 − 0.9¹⁶)³² ≈ 0.998, and nearer pairs almost surely; unrelated codes share
 * one with probability ≈ 32 / 65,536.
 *
 * The index knows nothing of the database: `vector-index.ts` keeps it in step with the
 * `memory_codes` table. Memory slots are dense (a removal moves the last code into the hole),
 * so a scan covers exactly the live codes.
 */

import { HAMMING_WASM_BASE64 } from "./hamming-wasm.ts";

interface HammingExports {
  memory: WebAssembly.Memory;
  distances(
    query: number,
    base: number,
    count: number,
    chunks: number,
    out: number,
    histogram: number,
    mask: number,
  ): void;
  collect(distances: number, count: number, below: number, limit: number, out: number): number;
}

/** Bits per band and bands per code for near-duplicate lookup (32 × 16 = the first 512 bits). */
const BAND_BITS = 16;
const BANDS = 32;
const BAND_VALUES = 1 << BAND_BITS;
/** Most codes one scan returns. */
export const MAX_SCAN_RESULTS = 65_536;
const PAGE = 65_536;
const NONE = -1;

let hammingModule: WebAssembly.Module | undefined;

function instantiate(): HammingExports {
  hammingModule ??= new WebAssembly.Module(Buffer.from(HAMMING_WASM_BASE64, "base64"));
  return new WebAssembly.Instance(hammingModule).exports as unknown as HammingExports;
}

function popcount32(value: number): number {
  let x = value - ((value >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

export interface BitMatch {
  seq: number;
  /** Hamming distance between the codes. */
  distance: number;
}

export class BitIndex {
  /** Bytes per code: a multiple of 64. */
  readonly codeBytes: number;
  readonly #chunks: number;
  readonly #wasm: HammingExports;
  #count = 0;
  #capacity = 0;
  #seqs = new Float64Array(0);
  /**
   * Slot + 1 of each seq (0: not indexed), indexed by seq: seqs are the table's AUTOINCREMENT
   * rowids, so this costs 4 bytes per seq ever assigned and needs no hashing.
   */
  #slotOfSeq = new Int32Array(1_024);
  /**
   * Head slot of each band value's list, band-major: `BANDS × BAND_VALUES` (8 MB). Made with the
   * first code, not with the index, so a store without memories keeps no band lists resident.
   */
  #heads: Int32Array | undefined;
  /** Next slot in the same band list, slot-major: `capacity × BANDS`. */
  #next = new Int32Array(0);
  // Layout of the WebAssembly memory: query | histogram | collected rows | distances | mask | codes.
  readonly #queryOffset = 0;
  readonly #histogramOffset: number;
  readonly #collectOffset: number;
  #distancesOffset = 0;
  #maskOffset = 0;
  #codesOffset = 0;
  #bytes: Uint8Array;

  constructor(codeBytes: number) {
    if (!Number.isInteger(codeBytes) || codeBytes < 64 || codeBytes % 64 !== 0) {
      throw new RangeError("a bit index needs codes of a multiple of 64 bytes");
    }
    this.codeBytes = codeBytes;
    this.#chunks = codeBytes / 64;
    this.#wasm = instantiate();
    this.#histogramOffset = codeBytes;
    this.#collectOffset = this.#histogramOffset + 4 * (codeBytes * 8 + 1);
    this.#bytes = new Uint8Array(this.#wasm.memory.buffer);
    this.#grow(1_024);
  }

  get size(): number {
    return this.#count;
  }

  has(seq: number): boolean {
    return this.#slotOf(seq) !== undefined;
  }

  /** Every seq in the index, in slot order. */
  seqs(): number[] {
    return Array.from(this.#seqs.subarray(0, this.#count));
  }

  /** A copy of the code of `seq`, if indexed. */
  code(seq: number): Uint8Array | undefined {
    const slot = this.#slotOf(seq);
    if (slot === undefined) return undefined;
    const start = this.#codeOffset(slot);
    return this.#memory().slice(start, start + this.codeBytes);
  }

  /** Adds the code of `seq`, or replaces it. */
  set(seq: number, code: Uint8Array): void {
    this.#checkCode(code);
    const existing = this.#slotOf(seq);
    if (existing !== undefined) {
      this.#unlinkBands(existing);
      this.#memory().set(code, this.#codeOffset(existing));
      this.#linkBands(existing);
      return;
    }
    if (this.#count === this.#capacity) this.#grow(this.#capacity * 2);
    const slot = this.#count;
    this.#count += 1;
    this.#seqs[slot] = seq;
    this.#setSlot(seq, slot);
    this.#memory().set(code, this.#codeOffset(slot));
    this.#linkBands(slot);
  }

  /**
   * Adds many codes at once (`codes` holds `seqs.length` codes back to back), as loading does;
   * none of the seqs may be in the index yet.
   */
  addMany(seqs: ArrayLike<number>, codes: Uint8Array): void {
    const count = seqs.length;
    if (codes.length !== count * this.codeBytes) throw new RangeError("codes and seqs disagree in length");
    let capacity = this.#capacity;
    while (capacity < this.#count + count) capacity *= 2;
    if (capacity !== this.#capacity) this.#grow(capacity);
    const first = this.#count;
    for (let index = 0; index < count; index++) {
      const seq = seqs[index] as number;
      if (this.#slotOf(seq) !== undefined) {
        // Undo the seqs taken so far: the index stays as it was.
        for (let undo = 0; undo < index; undo++) this.#slotOfSeq[seqs[undo] as number] = 0;
        throw new RangeError(`seq ${seq} is already indexed`);
      }
      this.#seqs[first + index] = seq;
      this.#setSlot(seq, first + index);
    }
    this.#memory().set(codes, this.#codeOffset(first));
    this.#count = first + count;
    // Band by band: each pass touches one band's heads (256 KB) rather than all of them (8 MB).
    const bands = new Uint16Array(this.#memory().buffer, this.#codesOffset, (this.#count * this.codeBytes) / 2);
    const wordsPerCode = this.codeBytes / 2;
    const heads = this.#bandHeads();
    const next = this.#next;
    for (let band = 0; band < BANDS; band++) {
      const base = band * BAND_VALUES;
      for (let slot = first; slot < this.#count; slot++) {
        const head = base + (bands[slot * wordsPerCode + band] as number);
        next[slot * BANDS + band] = heads[head] as number;
        heads[head] = slot;
      }
    }
  }

  /** Copies of the seqs (slot order) and their codes, back to back: what a snapshot stores. */
  export(): { seqs: Float64Array; codes: Uint8Array } {
    const start = this.#codeOffset(0);
    return {
      seqs: this.#seqs.slice(0, this.#count),
      codes: this.#memory().slice(start, start + this.#count * this.codeBytes),
    };
  }

  /** Removes the code of `seq`; false if it had none. The last code moves into its slot. */
  delete(seq: number): boolean {
    const slot = this.#slotOf(seq);
    if (slot === undefined) return false;
    this.#unlinkBands(slot);
    this.#slotOfSeq[seq] = 0;
    const last = this.#count - 1;
    if (slot !== last) {
      const moved = this.#seqs[last] as number;
      this.#unlinkBands(last);
      const memory = this.#memory();
      const from = this.#codeOffset(last);
      memory.copyWithin(this.#codeOffset(slot), from, from + this.codeBytes);
      this.#seqs[slot] = moved;
      this.#setSlot(moved, slot);
      this.#linkBands(slot);
    }
    this.#count = last;
    return true;
  }

  clear(): void {
    this.#count = 0;
    this.#slotOfSeq.fill(0);
    this.#heads = undefined;
  }

  /**
   * The seqs of the `k` codes nearest `query` by Hamming distance (ties in slot order), in no
   * particular order. With `allowed`, only those seqs are considered.
   */
  nearest(query: Uint8Array, k: number, allowed?: Iterable<number>): number[] {
    this.#checkCode(query);
    const limit = Math.min(k, MAX_SCAN_RESULTS, this.#count);
    if (limit <= 0 || this.#count === 0) return [];
    const memory = this.#memory();
    memory.set(query, this.#queryOffset);
    const histogram = new Uint32Array(memory.buffer, this.#histogramOffset, this.codeBytes * 8 + 1);
    histogram.fill(0);
    let mask = 0;
    if (allowed !== undefined) {
      mask = this.#maskOffset;
      memory.fill(0, mask, mask + this.#count);
      for (const seq of allowed) {
        const slot = this.#slotOf(seq);
        if (slot !== undefined) memory[mask + slot] = 1;
      }
    }
    this.#wasm.distances(
      this.#queryOffset,
      this.#codesOffset,
      this.#count,
      this.#chunks,
      this.#distancesOffset,
      this.#histogramOffset,
      mask,
    );
    // The smallest distance d at which at least `limit` codes lie at d or nearer.
    let seen = 0;
    let below = 0;
    while (below < histogram.length) {
      seen += histogram[below] as number;
      if (seen >= limit) break;
      below += 1;
    }
    if (below === histogram.length) below = histogram.length - 1;
    const found = this.#wasm.collect(this.#distancesOffset, this.#count, below, limit, this.#collectOffset);
    const rows = new Uint32Array(memory.buffer, this.#collectOffset, found);
    const result = new Array<number>(found);
    for (let index = 0; index < found; index++) result[index] = this.#seqs[rows[index] as number] as number;
    return result;
  }

  /**
   * Codes within Hamming distance `maxDistance` of `code` that share at least one 16-bit band
   * with it (no scan: only the band lists are read), nearest first, ties by seq.
   */
  candidatesNear(code: Uint8Array, maxDistance: number): BitMatch[] {
    this.#checkCode(code);
    const seen = new Set<number>();
    const matches: BitMatch[] = [];
    const query = new Uint32Array(code.buffer.slice(code.byteOffset, code.byteOffset + this.codeBytes));
    const words = this.#memoryWords();
    const wordsPerCode = this.codeBytes / 4;
    const heads = this.#heads;
    if (heads === undefined) return matches;
    for (let band = 0; band < BANDS; band++) {
      let slot = heads[band * BAND_VALUES + bandValue(code, band)] as number;
      while (slot !== NONE) {
        if (!seen.has(slot)) {
          seen.add(slot);
          const base = (this.#codeOffset(slot) >> 2) as number;
          let distance = 0;
          for (let word = 0; word < wordsPerCode && distance <= maxDistance; word++) {
            distance += popcount32(((words[base + word] as number) ^ (query[word] as number)) >>> 0);
          }
          if (distance <= maxDistance) matches.push({ seq: this.#seqs[slot] as number, distance });
        }
        slot = this.#next[slot * BANDS + band] as number;
      }
    }
    return matches.sort((a, b) => a.distance - b.distance || a.seq - b.seq);
  }

  #slotOf(seq: number): number | undefined {
    const entry = Number.isInteger(seq) && seq >= 0 && seq < this.#slotOfSeq.length ? this.#slotOfSeq[seq] : 0;
    return entry === undefined || entry === 0 ? undefined : entry - 1;
  }

  #setSlot(seq: number, slot: number): void {
    if (!Number.isInteger(seq) || seq < 0 || seq > 0x7fffffff) throw new RangeError(`seq ${seq} is out of range`);
    if (seq >= this.#slotOfSeq.length) {
      let length = this.#slotOfSeq.length;
      while (length <= seq) length *= 2;
      const grown = new Int32Array(length);
      grown.set(this.#slotOfSeq);
      this.#slotOfSeq = grown;
    }
    this.#slotOfSeq[seq] = slot + 1;
  }

  #codeOffset(slot: number): number {
    return this.#codesOffset + slot * this.codeBytes;
  }

  #memory(): Uint8Array {
    // Growing WebAssembly memory replaces its buffer; views over the old one go empty.
    if (this.#bytes.buffer !== this.#wasm.memory.buffer) this.#bytes = new Uint8Array(this.#wasm.memory.buffer);
    return this.#bytes;
  }

  #memoryWords(): Uint32Array {
    return new Uint32Array(this.#memory().buffer);
  }

  #checkCode(code: Uint8Array): void {
    if (code.length !== this.codeBytes) {
      throw new RangeError(`a code must be ${this.codeBytes} bytes, not ${code.length}`);
    }
  }

  #bandHeads(): Int32Array {
    this.#heads ??= new Int32Array(BANDS * BAND_VALUES).fill(NONE);
    return this.#heads;
  }

  #linkBands(slot: number): void {
    const memory = this.#memory();
    const offset = this.#codeOffset(slot);
    const heads = this.#bandHeads();
    for (let band = 0; band < BANDS; band++) {
      const head = band * BAND_VALUES + bandValue(memory, band, offset);
      this.#next[slot * BANDS + band] = heads[head] as number;
      heads[head] = slot;
    }
  }

  #unlinkBands(slot: number): void {
    const memory = this.#memory();
    const offset = this.#codeOffset(slot);
    const heads = this.#bandHeads();
    for (let band = 0; band < BANDS; band++) {
      const head = band * BAND_VALUES + bandValue(memory, band, offset);
      const after = this.#next[slot * BANDS + band] as number;
      let current = heads[head] as number;
      if (current === slot) {
        heads[head] = after;
        continue;
      }
      while (current !== NONE) {
        const link = current * BANDS + band;
        const following = this.#next[link] as number;
        if (following === slot) {
          this.#next[link] = after;
          break;
        }
        current = following;
      }
    }
  }

  #grow(capacity: number): void {
    const distancesOffset = align(this.#collectOffset + 4 * MAX_SCAN_RESULTS);
    const maskOffset = align(distancesOffset + 2 * capacity);
    const codesOffset = align(maskOffset + capacity);
    const needed = codesOffset + capacity * this.codeBytes;
    const memory = this.#wasm.memory;
    if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    const bytes = this.#memory();
    if (this.#count > 0 && codesOffset !== this.#codesOffset) {
      bytes.copyWithin(codesOffset, this.#codesOffset, this.#codesOffset + this.#count * this.codeBytes);
    }
    this.#distancesOffset = distancesOffset;
    this.#maskOffset = maskOffset;
    this.#codesOffset = codesOffset;
    const seqs = new Float64Array(capacity);
    seqs.set(this.#seqs.subarray(0, this.#count));
    this.#seqs = seqs;
    const next = new Int32Array(capacity * BANDS);
    next.set(this.#next.subarray(0, this.#count * BANDS));
    this.#next = next;
    this.#capacity = capacity;
  }
}

function align(offset: number): number {
  return Math.ceil(offset / 64) * 64;
}

function bandValue(bytes: Uint8Array, band: number, offset = 0): number {
  const at = offset + band * 2;
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}
