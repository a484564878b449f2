import { oxiosTsup } from "@oxios/tooling/tsup";

export default oxiosTsup({
  entry: { index: "src/index.ts", testing: "src/testing/index.ts" },
  external: ["node:child_process", "node:fs", "node:fs/promises", "node:path", "node:os"],
});
