/** @module @oxios/memory/testing — the deterministic feature-hashing embedder, for tests and benchmarks. */
export { HashingEmbedder } from "../hashing-embedder.ts";
