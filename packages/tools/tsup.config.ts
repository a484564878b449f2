import { oxiosTsup } from "@oxios/tooling/tsup";

// The interop SDKs stay external so only the subpaths that use them load them. Shared chunks
// (splitting) keep one copy of the tool contract: its executor table must be the gate's.
export default {
  ...oxiosTsup({
    entry: {
      index: "src/index.ts",
      testing: "src/testing/index.ts",
      mcp: "src/mcp/index.ts",
      a2a: "src/a2a/index.ts",
      browser: "src/browser/index.ts",
    },
    external: [/^@modelcontextprotocol\//, /^@a2a-js\//, "playwright-core"] as unknown as string[],
    platform: "node",
  }),
  splitting: true,
};
