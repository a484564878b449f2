import { oxiosTsup } from "@oxios/tooling/tsup";

// Keep the `node:` prefix on built-ins: Deno resolves only prefixed names.
export default {
  ...oxiosTsup({
    entry: { index: "src/index.ts", testing: "src/testing/index.ts" },
    external: [/^node:/] as unknown as string[],
  }),
  removeNodeProtocol: false,
};
