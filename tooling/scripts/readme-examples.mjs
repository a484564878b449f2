#!/usr/bin/env node
// The README examples, run as written. A fenced block is an example when its info string says so:
//
//   ```ts runnable     TypeScript, run on Node (types stripped, nothing else changed, so syntax
//                      Node does not have fails), and as .ts on Bun and Deno for the portable
//                      packages (`"oxios": { "portable": true }`)
//   ```sh runnable     run with bash; each `bin` of the package is on PATH
//   ```toml config     a config.toml, read by the kernel's own loader (`oxios config get host`)
//
// Every other ```ts/```js block is refused (make it runnable, or call it `text` when it is a
// signature rather than an example), and so is every ```toml block that is not `config`.
//
// Here the examples run inside each package of the workspace against its built `dist/` (run
// `pnpm build` first); `release-dry.mjs` runs the same blocks in a fresh project against the
// packed tarballs. Usage: node tooling/scripts/readme-examples.mjs [--runtimes node,bun,deno]
// [--filter <package-dir-name>]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { transformSync } from "esbuild";
import { runtimeBinary } from "./runtime-binaries.mjs";

const root = resolve(import.meta.dirname, "..", "..");

/** The README files of the repository and of every package, with their package's manifest. */
export function readmeFiles(base = root) {
  const packages = ["packages", "apps"].flatMap((group) =>
    existsSync(join(base, group))
      ? readdirSync(join(base, group))
          .map((name) => join(base, group, name))
          .filter((dir) => existsSync(join(dir, "package.json")) && existsSync(join(dir, "README.md")))
      : [],
  );
  return [base, ...packages].map((dir) => ({
    dir,
    path: join(dir, "README.md"),
    manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")),
  }));
}

/** Every fenced block of a Markdown text: its info string, first line number and code. */
export function fencedBlocks(text) {
  const blocks = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const open = /^(`{3,})(.*)$/.exec(lines[index]);
    if (open === null) continue;
    const fence = open[1];
    const start = index;
    const body = [];
    for (index++; index < lines.length && !lines[index].startsWith(fence); index++) body.push(lines[index]);
    blocks.push({ info: open[2].trim(), line: start + 1, code: `${body.join("\n")}\n` });
  }
  return blocks;
}

/** What an info string asks for: an example kind, or a problem with an unmarked block. */
export function classify(info) {
  const [language = "", ...flags] = info.split(/\s+/);
  if (["ts", "typescript", "js", "javascript"].includes(language))
    return flags.includes("runnable") ? { kind: "ts" } : { problem: "a ts/js block that is not marked runnable" };
  if (language === "toml")
    return flags.includes("config") ? { kind: "toml" } : { problem: "a toml block that is not marked config" };
  if (["sh", "bash", "shell"].includes(language) && flags.includes("runnable")) return { kind: "sh" };
  return {};
}

/** The examples of every README, and the blocks that should be examples but are not marked. */
export function readmeExamples(base = root) {
  const examples = [];
  const problems = [];
  for (const readme of readmeFiles(base)) {
    for (const block of fencedBlocks(readFileSync(readme.path, "utf8"))) {
      const where = `${relative(base, readme.path)}:${block.line}`;
      const { kind, problem } = classify(block.info);
      if (problem !== undefined) problems.push(`${where}: ${problem}`);
      if (kind === undefined) continue;
      examples.push({
        where,
        name: `${basename(readme.dir)}-readme-L${block.line}`,
        kind,
        code: block.code,
        package: readme.manifest.name,
        dir: readme.dir,
        portable: readme.manifest.oxios?.portable === true,
        bins:
          typeof readme.manifest.bin === "string"
            ? { [readme.manifest.name]: readme.manifest.bin }
            : (readme.manifest.bin ?? {}),
      });
    }
  }
  return { examples, problems };
}

/** TypeScript to JavaScript with the types removed and nothing else changed (no syntax lowered). */
export function stripTypes(code) {
  return transformSync(code, { loader: "ts", format: "esm", target: "esnext" }).code;
}

/** This process's environment without the Oxios and model settings of whoever runs it. */
export function cleanEnvironment(extra = {}) {
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(OXIOS_|OPENAI_|ANTHROPIC_|OLLAMA_)/.test(name)),
  );
  return { ...environment, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...extra };
}

/** The commands that run a TypeScript example file on each runtime. */
export function runners() {
  return {
    node: (file) => [process.execPath, [file.replace(/\.ts$/, ".mjs")]],
    bun: (file) => [runtimeBinary("bun"), [file]],
    deno: (file) => [runtimeBinary("deno"), ["run", "-A", file]],
  };
}

/**
 * Writes the example into `folder` (as .ts and as .mjs with the types stripped) and runs it on
 * `runtime` with `cwd`; returns null when it passed, else what went wrong.
 */
export function runTsExample(example, runtime, { folder, cwd, env = cleanEnvironment(), commands = runners() }) {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${example.name}.ts`);
  writeFileSync(file, example.code);
  writeFileSync(file.replace(/\.ts$/, ".mjs"), stripTypes(example.code));
  const [command, argv] = commands[runtime](file);
  return outcome(spawnSync(command, argv, { cwd, env, encoding: "utf8", timeout: 120_000 }));
}

/** Runs a `sh runnable` example with bash, with `bins` (name → script path) on PATH. */
export function runShExample(example, { cwd, bins, env = cleanEnvironment() }) {
  const binDir = mkdtempSync(join(tmpdir(), "oxios-example-bin-"));
  try {
    for (const [name, script] of Object.entries(bins)) {
      writeFileSync(join(binDir, name), `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`, { mode: 0o755 });
    }
    const path = `${binDir}:${env.PATH ?? ""}`;
    return outcome(
      spawnSync("bash", ["-euo", "pipefail", "-c", example.code], {
        cwd,
        env: { ...env, PATH: path },
        encoding: "utf8",
        timeout: 120_000,
      }),
    );
  } finally {
    rmSync(binDir, { recursive: true, force: true });
  }
}

/** Reads a `toml config` example with the kernel's loader, through `oxios config get host`. */
export function runTomlExample(example, { oxiosBin = join(root, "apps", "kernel", "bin", "oxios.mjs") } = {}) {
  const home = mkdtempSync(join(tmpdir(), "oxios-example-home-"));
  try {
    writeFileSync(join(home, "config.toml"), example.code);
    return outcome(
      spawnSync(process.execPath, [oxiosBin, "config", "get", "host"], {
        env: cleanEnvironment({ OXIOS_HOME: home }),
        encoding: "utf8",
        timeout: 60_000,
      }),
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function outcome(result) {
  if (result.status === 0) return null;
  const reason = result.error?.message ?? (result.signal ? `killed by ${result.signal}` : `exit ${result.status}`);
  return `${reason}\n${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
}

async function main() {
  const args = process.argv.slice(2);
  const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const runtimes = (option("--runtimes") ?? "node,bun,deno").split(",");
  const filter = option("--filter");
  const { examples, problems } = readmeExamples();
  const failures = [...problems];
  let runs = 0;
  for (const example of examples) {
    if (filter !== undefined && basename(example.dir) !== filter) continue;
    if (example.kind === "toml") {
      const failure = runTomlExample(example);
      runs++;
      console.log(`${failure === null ? "ok  " : "FAIL"}  ${example.where}  (config loader)`);
      if (failure !== null) failures.push(`${example.where} (config loader): ${failure}`);
      continue;
    }
    if (example.kind === "sh") {
      const failure = runShExample(example, { cwd: example.dir, bins: binsOf(example) });
      runs++;
      console.log(`${failure === null ? "ok  " : "FAIL"}  ${example.where}  (bash)`);
      if (failure !== null) failures.push(`${example.where} (bash): ${failure}`);
      continue;
    }
    for (const runtime of runtimes) {
      if (runtime !== "node" && !example.portable) continue;
      // Inside the package, so its own name and its dependencies resolve as for a user of it.
      const folder = join(example.dir, ".readme-examples");
      const cwd = mkdtempSync(join(tmpdir(), "oxios-example-"));
      try {
        const failure = runTsExample(example, runtime, { folder, cwd });
        runs++;
        console.log(`${failure === null ? "ok  " : "FAIL"}  ${example.where}  (${runtime})`);
        if (failure !== null) failures.push(`${example.where} (${runtime}): ${failure}`);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    }
  }
  if (failures.length > 0) {
    console.error(`\nREADME examples failed:\n\n${failures.join("\n\n")}`);
    process.exit(1);
  }
  console.log(`\nREADME examples passed: ${runs} run(s) of ${examples.length} example(s)`);
}

function binsOf(example) {
  return Object.fromEntries(Object.entries(example.bins).map(([name, path]) => [name, join(example.dir, path)]));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
