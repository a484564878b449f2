import { defineConfig } from "vite";

// Preact's automatic JSX runtime through Vite's own transform (no plugin). Hashed file names
// under assets/ are what the kernel caches as immutable; no inline script or style, so the
// kernel's Content-Security-Policy can forbid them.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
  },
});
