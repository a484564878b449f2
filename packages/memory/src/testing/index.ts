/** @module @oxios/memory/testing — a deterministic feature-hashing embedder for tests and benchmarks. */
export { HashingEmbedder } from "./hashing-embedder.ts";
