// Bundles a TypeScript child-process fixture (and the workspace sources it imports, through the
// "@oxios/source" condition) into one ESM file that plain `node` runs. A test that starts many
// children pays esbuild once instead of a TypeScript loader's start-up in every child.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { build } from "esbuild";

/**
 * Bundles `entry` into a fresh temporary directory and returns the bundle's path. Node
 * built-ins and native add-ons stay external; everything else is inlined.
 */
export async function bundleFixture(entry: string, options: { external?: string[] } = {}): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "oxios-fixture-"));
  const outfile = join(directory, `${basename(entry).replace(/\.[cm]?ts$/, "")}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@oxios/source"],
    external: options.external ?? [],
    // Bundled CommonJS dependencies may call require(); give the ESM bundle one.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    logLevel: "warning",
  });
  return outfile;
}
