/**
 * Binary codes for the coarse vector search: a sign random projection (SimHash) computed
 * with randomized Hadamard rotations. Hamming distance between codes tracks the angle
 * between vectors (a bit differs with probability θ/π), so a popcount scan over 512-bit codes
 * (64 bytes a memory, see `bit-index.ts`) finds the candidates that the exact float distances
 * then re-rank. Signs and permutations come from a fixed seed, so codes are stable across
 * processes.
 */

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export class SignQuantizer {
  readonly dimensions: number;
  readonly bits: number;
  readonly seed: number;
  readonly #width: number;
  /** Per round: the input index feeding each lane (-1 for padding), and its random sign. */
  readonly #sources: Int32Array[];
  readonly #signs: Float64Array[];
  /** Scratch space for one transform; quantize runs to completion, so one buffer serves every call. */
  readonly #work: Float64Array;

  constructor(dimensions: number, minimumBits = 1024, seed = 0x5eed) {
    let width = 8;
    while (width < dimensions) width *= 2;
    this.dimensions = dimensions;
    this.seed = seed;
    this.#width = width;
    this.#work = new Float64Array(width);
    const rounds = Math.max(1, Math.ceil(minimumBits / width));
    this.bits = rounds * width;
    const random = lcg(seed);
    this.#sources = [];
    this.#signs = [];
    for (let round = 0; round < rounds; round++) {
      const signs = Float64Array.from({ length: width }, () => (random() < 0.5 ? -1 : 1));
      const permutation = Int32Array.from({ length: width }, (_, index) => index);
      for (let index = width - 1; index > 0; index--) {
        const other = Math.floor(random() * (index + 1));
        const swap = permutation[index] as number;
        permutation[index] = permutation[other] as number;
        permutation[other] = swap;
      }
      this.#sources.push(permutation.map((source) => (source < dimensions ? source : -1)));
      this.#signs.push(signs);
    }
  }

  /** The code of `vector`: `bits / 8` bytes, bit i set when projection i is positive. */
  quantize(vector: Float32Array): Uint8Array {
    const width = this.#width;
    const work = this.#work;
    const out = new Uint8Array(this.bits / 8);
    for (let round = 0; round < this.#sources.length; round++) {
      const sources = this.#sources[round] as Int32Array;
      const signs = this.#signs[round] as Float64Array;
      for (let index = 0; index < width; index++) {
        const source = sources[index] as number;
        work[index] = source < 0 ? 0 : (vector[source] as number) * (signs[index] as number);
      }
      // In-place fast Walsh–Hadamard transform.
      for (let half = 1; half < width; half *= 2) {
        for (let block = 0; block < width; block += half * 2) {
          const end = block + half;
          for (let index = block; index < end; index++) {
            const a = work[index] as number;
            const b = work[index + half] as number;
            work[index] = a + b;
            work[index + half] = a - b;
          }
        }
      }
      const offset = (round * width) >> 3;
      for (let index = 0; index < width; index += 8) {
        out[offset + (index >> 3)] =
          ((work[index] as number) > 0 ? 1 : 0) |
          ((work[index + 1] as number) > 0 ? 2 : 0) |
          ((work[index + 2] as number) > 0 ? 4 : 0) |
          ((work[index + 3] as number) > 0 ? 8 : 0) |
          ((work[index + 4] as number) > 0 ? 16 : 0) |
          ((work[index + 5] as number) > 0 ? 32 : 0) |
          ((work[index + 6] as number) > 0 ? 64 : 0) |
          ((work[index + 7] as number) > 0 ? 128 : 0);
      }
    }
    return out;
  }
}
