import { oxiosTsup } from "@oxios/tooling/tsup";
import type { Options } from "tsup";

const preset = oxiosTsup({
  entry: { index: "src/index.ts" },
  external: ["@hono/node-server", "hono"],
}) as Options;

// The daemon uses node: built-ins (which Bun and Deno implement); keep their `node:` prefix,
// since Deno resolves built-ins only with it.
export default { ...preset, platform: "node", removeNodeProtocol: false } satisfies Options;
