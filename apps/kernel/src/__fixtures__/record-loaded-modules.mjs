// Preloaded with `node --import`: appends the URL of every module the process loads to the
// file named by OXIOS_RECORD_MODULES — ES modules through a loader hook as they load, CommonJS
// modules (from the require cache) when the process exits.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import { pathToFileURL } from "node:url";

const file = process.env.OXIOS_RECORD_MODULES;
if (file === undefined) throw new Error("record-loaded-modules.mjs needs OXIOS_RECORD_MODULES");
register("./record-loaded-modules-hooks.mjs", import.meta.url, { data: { file } });
const require = createRequire(import.meta.url);
process.on("exit", () => {
  const paths = Object.keys(require.cache);
  appendFileSync(file, paths.map((path) => `${pathToFileURL(path).href}\n`).join(""));
});
