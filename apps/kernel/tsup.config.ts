import { cpSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { oxiosTsup } from "@oxios/tooling/tsup";
import type { Options } from "tsup";

// One entry, `dist/main.js`, run by `bin/oxios.mjs`. Code splitting keeps each dynamic import
// of main.ts (the CLI, the kernel, doctor) in its own chunk, so a command loads only its part.
// Dependencies stay external; no declarations: the kernel is an application, not a library.
// The console's build (apps/console/dist, built first by turbo) is copied to dist/console, so
// the published package serves it at / (src/http/console-assets.ts).
const preset = oxiosTsup({ entry: { main: "src/main.ts" }, platform: "node" }) as Options;
const consoleBuild = fileURLToPath(new URL("../console/dist/", import.meta.url));

export default {
  ...preset,
  dts: false,
  splitting: true,
  onSuccess: async () => {
    if (!existsSync(`${consoleBuild}index.html`)) {
      throw new Error(`the console is not built (${consoleBuild}); run turbo run build, which builds it first`);
    }
    cpSync(consoleBuild, "dist/console", { recursive: true });
  },
} satisfies Options;
