import { oxiosTsup } from "@oxios/tooling/tsup";

// libsql loads a native binary: never bundle it.
export default oxiosTsup({
  entry: { index: "src/index.ts" },
  external: ["libsql"],
  platform: "node",
});
