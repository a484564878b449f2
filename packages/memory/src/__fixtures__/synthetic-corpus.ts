// The synthetic corpus of the bench and the recall test: deterministic memories (seeded
// generator) in 200 clusters (topics of 30 words over a 4,000-word vocabulary); each memory is
// 8–15 words, 70 % from its topic, plus a unique serial. Generated in order, chunk by chunk, so 1M memories never sit in memory at
// once. Queries are paraphrase-like: the opening words of one of the first 10,000 memories plus
// a random word, the same at every corpus size.
import type { RememberInput } from "../memory-entry.ts";

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve", "zu", "ar", "en", "ol", "ix", "um"];
const types = ["fact", "episode", "knowledge", "decision", "procedure"] as const;

export class SyntheticCorpus {
  readonly #random = lcg(42);
  readonly #vocabulary: string[];
  readonly #topics: number[][];
  #serial = 0;

  constructor() {
    const random = this.#random;
    this.#vocabulary = Array.from({ length: 4_000 }, () =>
      Array.from(
        { length: 2 + Math.floor(random() * 2) },
        () => syllables[Math.floor(random() * syllables.length)],
      ).join(""),
    );
    this.#topics = Array.from({ length: 200 }, () =>
      Array.from({ length: 30 }, () => Math.floor(random() * this.#vocabulary.length)),
    );
  }

  /** The next `count` memories of the corpus. */
  next(count: number): RememberInput[] {
    return Array.from({ length: count }, () => this.#memory(this.#serial++));
  }

  /** `count` queries built from `sample` (memories of the corpus). */
  queries(sample: readonly RememberInput[], count: number): string[] {
    const random = lcg(7);
    return Array.from({ length: count }, () => {
      const words = (sample[Math.floor(random() * sample.length)] as RememberInput).content.split(" ").slice(0, -1);
      const extra = this.#vocabulary[Math.floor(random() * this.#vocabulary.length)];
      return `${words.slice(0, Math.max(3, words.length - 4)).join(" ")} ${extra}`;
    });
  }

  #memory(serial: number): RememberInput {
    const random = this.#random;
    const topic = this.#topics[Math.floor(random() * this.#topics.length)] as number[];
    const length = 8 + Math.floor(random() * 8);
    const words: string[] = [];
    for (let index = 0; index < length; index++) {
      const pick =
        random() < 0.7
          ? (topic[Math.floor(random() * topic.length)] as number)
          : Math.floor(random() * this.#vocabulary.length);
      words.push(this.#vocabulary[pick] as string);
    }
    words.push(`n${serial}`);
    return { content: words.join(" "), type: types[serial % types.length] as (typeof types)[number], tier: "cold" };
  }
}
