/**
 * Compiles the systems' child process (`child.ts`, each system in its own chunk), the kernel
 * preload and the `ai-sdk-http` server to plain JavaScript with esbuild, so every system runs on
 * `node` alone, as the kernel does when users start it (`oxios start`, from its built `dist/`): no TypeScript loader
 * in any measured process. Packages stay external and load the same files their users load
 * (the workspace's `@oxios/*` from their built `dist/`), except the kernel's own sources, which
 * the in-process system boots and which are bundled the way the kernel's build bundles them.
 */
import { mkdtempSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";

const RESOLVING = Symbol("resolving");

/**
 * Every package import is external, as the file it resolves to from its importer (a file URL):
 * the kernel's sources import packages the bench does not depend on. `@oxios/kernel/src/…` is
 * bundled: it has no build of its own to load.
 */
const externalPackages: Plugin = {
  name: "external-packages",
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === RESOLVING || args.path.startsWith("@oxios/kernel/")) return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const resolved = await builder.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: RESOLVING,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: pathToFileURL(resolved.path).href, external: true };
    });
  },
};

export interface Built {
  child: string;
  preload: string;
  /** The `ai-sdk-http` system's server process. */
  aiSdkHttpServer: string;
}

/** Builds into a fresh temporary directory. */
export async function buildSystems(): Promise<Built> {
  const directory = mkdtempSync(join(tmpdir(), "oxios-bench-peers-"));
  await build({
    entryPoints: {
      child: fileURLToPath(new URL("./child.ts", import.meta.url)),
      "oxios-kernel-preload": fileURLToPath(new URL("./oxios-kernel-preload.ts", import.meta.url)),
      "ai-sdk-http-server": fileURLToPath(new URL("./ai-sdk-http-server.ts", import.meta.url)),
    },
    outdir: directory,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    plugins: [externalPackages],
    logLevel: "warning",
  });
  return {
    child: join(directory, "child.mjs"),
    preload: join(directory, "oxios-kernel-preload.mjs"),
    aiSdkHttpServer: join(directory, "ai-sdk-http-server.mjs"),
  };
}
