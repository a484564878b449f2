// Shared tsup preset: ESM, declarations, sourcemaps, one output file per entry.
import { defineConfig } from "tsup";

/** @param {{ entry: Record<string, string>, external?: string[] }} options */
export function oxiosTsup(options) {
  return defineConfig({
    entry: options.entry,
    format: ["esm"],
    target: "es2022",
    platform: "neutral",
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    external: options.external ?? [],
  });
}
