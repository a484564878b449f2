// Shared tsup preset: ESM, declarations, sourcemaps, one output file per entry.
import { defineConfig } from "tsup";

/**
 * Portable packages build for the "neutral" platform; packages that import `node:` built-ins
 * pass `platform: "node"`. The `node:` prefix is always kept: Deno resolves only prefixed names.
 * @param {{ entry: Record<string, string>, external?: string[], platform?: "neutral" | "node" }} options
 */
export function oxiosTsup(options) {
  return defineConfig({
    entry: options.entry,
    format: ["esm"],
    target: "es2022",
    platform: options.platform ?? "neutral",
    removeNodeProtocol: false,
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    // node: built-ins are never bundled, whatever the platform.
    external: [/^node:/, ...(options.external ?? [])],
  });
}
