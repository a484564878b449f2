import { oxiosTsup } from "@oxios/tooling/tsup";
import type { Options } from "tsup";

// One entry, `dist/main.js`, run by `bin/oxios.mjs`. Code splitting keeps each dynamic import
// of main.ts (the CLI, the kernel, doctor) in its own chunk, so a command loads only its part.
// Dependencies stay external; no declarations: the kernel is an application, not a library.
const preset = oxiosTsup({ entry: { main: "src/main.ts" }, platform: "node" }) as Options;

export default { ...preset, dts: false, splitting: true } satisfies Options;
