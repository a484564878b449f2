import { oxiosTsup } from "@oxios/tooling/tsup";

export default oxiosTsup({
  entry: { index: "src/index.ts", testing: "src/testing/index.ts", libsql: "src/libsql/index.ts" },
});
