/**
 * Binary codes for the coarse vector search: a sign random projection (SimHash) computed
 * with randomized Hadamard rotations. Hamming distance between codes tracks the angle
 * between vectors, so sqlite-vec's `bit[]` KNN over 1,024-bit codes (128 bytes a row) finds
 * the candidates that the exact float distances then re-rank. Signs and permutations come
 * from a fixed seed, so codes are stable across processes.
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
  readonly #width: number;
  readonly #signs: Int8Array[];
  readonly #permutations: Uint32Array[];

  constructor(dimensions: number, minimumBits = 1024, seed = 0x5eed) {
    let width = 8;
    while (width < dimensions) width *= 2;
    this.dimensions = dimensions;
    this.#width = width;
    const rounds = Math.max(1, Math.ceil(minimumBits / width));
    this.bits = rounds * width;
    const random = lcg(seed);
    this.#signs = [];
    this.#permutations = [];
    for (let round = 0; round < rounds; round++) {
      this.#signs.push(Int8Array.from({ length: width }, () => (random() < 0.5 ? -1 : 1)));
      const permutation = Uint32Array.from({ length: width }, (_, index) => index);
      for (let index = width - 1; index > 0; index--) {
        const other = Math.floor(random() * (index + 1));
        const swap = permutation[index] as number;
        permutation[index] = permutation[other] as number;
        permutation[other] = swap;
      }
      this.#permutations.push(permutation);
    }
  }

  /** The code of `vector`: `bits / 8` bytes, bit i set when projection i is positive. */
  quantize(vector: Float32Array): Uint8Array {
    const width = this.#width;
    const out = new Uint8Array(this.bits / 8);
    const work = new Float32Array(width);
    for (let round = 0; round < this.#signs.length; round++) {
      const signs = this.#signs[round] as Int8Array;
      const permutation = this.#permutations[round] as Uint32Array;
      for (let index = 0; index < width; index++) {
        const source = permutation[index] as number;
        work[index] = source < this.dimensions ? (vector[source] ?? 0) * (signs[index] as number) : 0;
      }
      // In-place fast Walsh–Hadamard transform.
      for (let half = 1; half < width; half *= 2) {
        for (let block = 0; block < width; block += half * 2) {
          for (let index = block; index < block + half; index++) {
            const a = work[index] as number;
            const b = work[index + half] as number;
            work[index] = a + b;
            work[index + half] = a - b;
          }
        }
      }
      const offset = round * width;
      for (let index = 0; index < width; index++) {
        if ((work[index] as number) > 0) {
          const bit = offset + index;
          out[bit >> 3] = (out[bit >> 3] as number) | (1 << (bit & 7));
        }
      }
    }
    return out;
  }
}
