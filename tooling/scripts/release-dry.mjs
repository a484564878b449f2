#!/usr/bin/env node
// A release without a registry: what `release.yml` would publish, tried here.
//
// 1. Copies the workspace (tracked and untracked files, plus each package's built dist/) into a
//    temporary folder and runs `changeset version` there, so the pending changesets are applied
//    to the copy only; the packages whose version moved are the ones a release would publish.
// 2. Packs every publishable package of the copy with pnpm (the `.pnpmfile.mjs` hook strips
//    source-only export conditions, scripts and dev dependencies), then checks each tarball: it
//    holds package.json, README and LICENSE, its manifest names nothing workspace-only, and
//    publint and are-the-types-wrong find no problem.
// 3. Installs all tarballs into a fresh project outside the workspace (npm, no workspace links)
//    and imports every entry point of every package on Node 20, 22 and 24 (22 and 24 from the
//    npm registry's `node` package), Bun and Deno.
// 4. Runs every package README's runnable examples in that project against the installed
//    tarballs, as a user would copy them: on Node 20, 22 and 24, and on Bun and Deno for the
//    portable packages (see readme-examples.mjs for what runnable means); then type-checks them
//    with TypeScript (strict) and @types/node.
// 5. Runs the installed `oxios` command of the packed @oxios/kernel there (no workspace, no tsx):
//    --version, --help, status, then start, status, `console --print` and the console at `/`
//    (the kernel package carries its build), and a graceful stop of a daemon on a free port
//    with a home of its own.
//
// Usage: node tooling/scripts/release-dry.mjs [--runtimes node20,node22,node24,bun,deno] [--keep]
// Needs `pnpm build` first (the tarballs carry dist/).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { cleanEnvironment, readmeExamples, runTsExample } from "./readme-examples.mjs";
import { runtimeBinary } from "./runtime-binaries.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const args = process.argv.slice(2);
const runtimesArg = args.includes("--runtimes") ? args[args.indexOf("--runtimes") + 1] : undefined;
const runtimes = (runtimesArg ?? "node20,node22,node24,bun,deno").split(",");
const keep = args.includes("--keep");
const pnpmVersion = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager;

function step(text) {
  console.log(`\n=== release:dry: ${text}`);
}

/** Runs a command, printing its output only when it fails; returns stdout. */
function run(command, argv, options = {}) {
  const result = spawnSync(command, argv, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.status !== 0) {
    process.stdout.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
    const reason = result.error?.message ?? `exit ${result.status ?? result.signal}`;
    throw new Error(`release:dry: \`${[command, ...argv].join(" ")}\` failed (${reason})`);
  }
  return result.stdout;
}

const pnpm = (argv, options) => run("npx", ["-y", pnpmVersion, ...argv], options);
const readManifest = (dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function workspacePackageDirs(base) {
  return ["packages", "apps"].flatMap((group) =>
    existsSync(join(base, group))
      ? readdirSync(join(base, group))
          .map((name) => join(base, group, name))
          .filter((dir) => existsSync(join(dir, "package.json")))
      : [],
  );
}

const publishable = workspacePackageDirs(root)
  .map((dir) => ({ dir: relative(root, dir), manifest: readManifest(dir) }))
  .filter(({ manifest }) => manifest.private !== true);
if (publishable.length === 0) throw new Error("release:dry: no publishable package found");
for (const { dir, manifest } of publishable)
  if (!existsSync(join(root, dir, "dist")))
    throw new Error(`release:dry: ${manifest.name} has no dist/; run \`pnpm build\` first`);

const work = mkdtempSync(join(tmpdir(), "oxios-release-dry-"));
const copy = join(work, "workspace");
const tarballs = join(work, "tarballs");
const consumer = join(work, "consumer");

try {
  step(`copying the workspace into ${copy}`);
  const files = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root })
    .split("\0")
    .filter((file) => file !== "" && existsSync(join(root, file)));
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file));
  }
  for (const { dir } of publishable) cpSync(join(root, dir, "dist"), join(copy, dir, "dist"), { recursive: true });

  step("changeset version (in the copy)");
  run(process.execPath, [join(root, "node_modules", "@changesets", "cli", "bin.js"), "version"], { cwd: copy });
  const packages = publishable.map(({ dir, manifest }) => {
    const versioned = readManifest(join(copy, dir));
    return { dir, name: manifest.name, from: manifest.version, version: versioned.version, manifest: versioned };
  });
  const changed = packages.filter((entry) => entry.version !== entry.from);
  for (const entry of packages)
    console.log(
      `  ${entry.name} ${entry.from}${entry.version === entry.from ? " (unchanged, not published)" : ` → ${entry.version}`}`,
    );

  step("pack every publishable package");
  // pnpm resolves `workspace:` ranges from the installed workspace; the store is warm, so this
  // links from it without the network and without running install scripts.
  pnpm(["install", "--frozen-lockfile", "--offline", "--ignore-scripts"], { cwd: copy });
  mkdirSync(tarballs, { recursive: true });
  const packed = packages.map((entry) => {
    const file = join(tarballs, `${entry.name.replace("@", "").replace("/", "-")}-${entry.version}.tgz`);
    pnpm(["pack", "--out", file], { cwd: join(copy, entry.dir) });
    return { ...entry, file };
  });

  step("publint and are-the-types-wrong on each tarball");
  const attw = join(root, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js");
  const publint = join(root, "node_modules", "publint", "src", "cli.js");
  for (const entry of packed) {
    const contents = run("tar", ["-tzf", entry.file]).split("\n");
    for (const required of ["package/package.json", "package/README.md", "package/LICENSE"])
      if (!contents.includes(required))
        throw new Error(`release:dry: ${entry.name}'s tarball lacks ${required.slice(8)}`);
    const packedManifest = run("tar", ["-xOzf", entry.file, "package/package.json"]);
    for (const leak of ["workspace:", "@oxios/source", "@oxios/tooling", "devDependencies"])
      if (packedManifest.includes(leak))
        throw new Error(`release:dry: ${entry.name}'s packed package.json still contains "${leak}"`);
    run(process.execPath, [publint, "run", entry.file, "--strict"], { cwd: work });
    if (entry.manifest.exports === undefined) {
      // A command, not a library (the kernel): no entry points, so no types to check.
      console.log(`  ${entry.name}: publint clean (a command: no types to check)`);
      continue;
    }
    // ESM-only packages: the CommonJS resolution modes do not apply.
    run(process.execPath, [attw, entry.file, "--profile", "esm-only", "--format", "table-flipped"], { cwd: work });
    console.log(`  ${entry.name}: publint and attw clean`);
  }

  step(`install the tarballs into a fresh project (${consumer})`);
  mkdirSync(consumer, { recursive: true });
  const fileSpecs = Object.fromEntries(packed.map((entry) => [entry.name, `file:${entry.file}`]));
  // Optional peers (libsql for the ./libsql entries) are installed so every entry point loads.
  const peers = Object.fromEntries(packed.flatMap((entry) => Object.entries(entry.manifest.peerDependencies ?? {})));
  writeFileSync(
    join(consumer, "package.json"),
    `${JSON.stringify(
      {
        name: "oxios-release-dry",
        private: true,
        type: "module",
        dependencies: { ...peers, ...fileSpecs },
        overrides: fileSpecs,
      },
      null,
      2,
    )}\n`,
  );
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: consumer });

  const entryPoints = packed.flatMap((entry) =>
    Object.keys(entry.manifest.exports ?? {})
      .filter((key) => key !== "./package.json" && !key.includes("*"))
      .map((key) => (key === "." ? entry.name : `${entry.name}/${key.slice(2)}`)),
  );
  writeFileSync(join(consumer, "entry-points.json"), JSON.stringify(entryPoints));
  writeFileSync(
    join(consumer, "import-all.mjs"),
    [
      'import specifiers from "./entry-points.json" with { type: "json" };',
      "for (const specifier of specifiers) {",
      "  const module = await import(specifier);",
      '  if (Object.keys(module).length === 0) throw new Error(specifier + " exports nothing");',
      "}",
      'console.log("  imported " + specifiers.length + " entry points");',
      "",
    ].join("\n"),
  );

  const runners = {
    node20: [process.execPath, ["import-all.mjs"]],
    node22: ["npx", ["-y", "node@22", "import-all.mjs"]],
    node24: ["npx", ["-y", "node@24", "import-all.mjs"]],
    bun: [runtimeBinary("bun"), ["import-all.mjs"]],
    deno: [runtimeBinary("deno"), ["run", "-A", "import-all.mjs"]],
  };
  for (const runtime of runtimes) {
    const runner = runners[runtime];
    if (runner === undefined) throw new Error(`release:dry: unknown runtime ${runtime}`);
    step(`import every entry point on ${runtime}`);
    const out = run(runner[0], runner[1], {
      cwd: consumer,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    });
    process.stdout.write(out);
  }

  // The examples as a user copies them from the README in the tarball: next to their own
  // package.json, against what npm installed, not the workspace.
  const packedNames = new Set(packed.map((entry) => entry.name));
  const examples = readmeExamples(copy).examples.filter(
    (example) => example.kind === "ts" && packedNames.has(example.package),
  );
  const exampleRunners = {
    node20: (file) => [process.execPath, [file.replace(/\.ts$/, ".mjs")]],
    node22: (file) => ["npx", ["-y", "node@22", file.replace(/\.ts$/, ".mjs")]],
    node24: (file) => ["npx", ["-y", "node@24", file.replace(/\.ts$/, ".mjs")]],
    bun: (file) => [runtimeBinary("bun"), [file]],
    deno: (file) => [runtimeBinary("deno"), ["run", "-A", file]],
  };
  let exampleRuns = 0;
  for (const runtime of runtimes) {
    const selected = examples.filter((example) => runtime.startsWith("node") || example.portable);
    step(`README examples of the packed packages on ${runtime} (${selected.length})`);
    for (const example of selected) {
      const failure = runTsExample(example, runtime, {
        folder: join(consumer, "examples"),
        cwd: consumer,
        env: cleanEnvironment(),
        commands: exampleRunners,
      });
      if (failure !== null) throw new Error(`release:dry: ${example.where} failed on ${runtime}:\n${failure}`);
      exampleRuns++;
      console.log(`  ok  ${example.where}`);
    }
  }

  // The same examples as TypeScript a user compiles: `tsc --init`'s strictness and module
  // settings, with @types/node (the packages' types use its globals, see each README).
  step("type-check the README examples against the packed types (strict, @types/node)");
  const devDependencies = readManifest(root).devDependencies;
  run(
    "npm",
    [
      "install",
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      `typescript@${devDependencies.typescript}`,
      `@types/node@${devDependencies["@types/node"]}`,
    ],
    { cwd: consumer },
  );
  writeFileSync(
    join(consumer, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: { strict: true, module: "nodenext", target: "es2022", skipLibCheck: true, noEmit: true },
        include: ["examples/*.ts"],
      },
      null,
      2,
    )}\n`,
  );
  run(process.execPath, [join(consumer, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
    cwd: consumer,
  });
  console.log(`  ${examples.length} example(s) type-check`);

  const kernel = packed.find((entry) => entry.name === "@oxios/kernel");
  if (kernel === undefined) throw new Error("release:dry: @oxios/kernel was not packed");
  step("the packed oxios command, outside the workspace");
  const home = join(work, "oxios-home");
  const port = await freePort();
  const env = { ...process.env, OXIOS_HOME: home, OXIOS_PORT: String(port), NO_COLOR: "1" };
  const oxios = join(consumer, "node_modules", ".bin", "oxios");
  const cli = (argv) => spawnSync(oxios, argv, { cwd: consumer, env, encoding: "utf8", timeout: 120_000 });
  const expectOutput = (argv, status, pattern) => {
    const result = cli(argv);
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    if (result.status !== status || !pattern.test(output))
      throw new Error(
        `release:dry: \`oxios ${argv.join(" ")}\` gave exit ${result.status}, wanted ${status} and ${pattern}:\n${output}`,
      );
    console.log(`  oxios ${argv.join(" ")}: exit ${status}`);
  };
  expectOutput(["--version"], 0, new RegExp(`^${kernel.version.replaceAll(".", "\\.")}\\s*$`));
  expectOutput(["--help"], 0, /usage: oxios <command>[\s\S]*start/);
  expectOutput(["status"], 3, /oxios is stopped/);
  let started = false;
  try {
    expectOutput(["start"], 0, new RegExp(`oxios started \\(pid \\d+\\) on http://127\\.0\\.0\\.1:${port}`));
    started = true;
    expectOutput(["status"], 0, /oxios is running/);
    // The console ships inside the package: `/` answers its index.html and its script loads.
    expectOutput(["console", "--print"], 0, new RegExp(`^http://127\\.0\\.0\\.1:${port}/#token=\\S+\\s*$`));
    const page = await fetch(`http://127.0.0.1:${port}/`);
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const asset = script === undefined ? undefined : await fetch(`http://127.0.0.1:${port}${script}`);
    if (page.status !== 200 || !html.includes("<title>Oxios console</title>") || asset?.status !== 200)
      throw new Error(`release:dry: the installed kernel does not serve the console at / (${page.status}, ${script})`);
    console.log(`  GET / and ${script}: the console`);
  } finally {
    // A daemon that started is stopped (and must stop gracefully) even when a check failed.
    if (started) expectOutput(["stop"], 0, /oxios stopped \(graceful/);
  }

  console.log(
    `\nrelease:dry passed: ${packed.length} package(s) packed and imported on ${runtimes.join(", ")}, ` +
      `${exampleRuns} README example run(s); ` +
      `${changed.length} would be published (${changed.map((entry) => `${entry.name}@${entry.version}`).join(", ") || "none"})`,
  );
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
