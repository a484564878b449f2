/**
 * Oxios over HTTP: a real kernel process — the built `oxios` command (`bin/oxios.mjs`, the
 * kernel's `dist/`) as `oxios start` runs it, on plain `node` — with the `add` tool preloaded
 * (the built preload, `PEERS_KERNEL_PRELOAD`); a run is `POST /api/runs` and long polls of
 * `GET /api/runs/{taskId}`. CPU and RSS are the kernel process's, read from /proc.
 * `PEERS_KERNEL_NODE_FLAGS` (space-separated) adds Node/V8 flags to the kernel process, to
 * measure one (such as `--max-semi-space-size=4`) against the default.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PROMPT, type System } from "../workload.ts";
import { runOverHttp, startHttpServerProcess } from "./http-process.ts";
import { BENCH_PROFILE, kernelEnvironment, writeKernelConfig } from "./oxios-environment.ts";

export async function createOxiosHttp(baseUrl: string, allTools = false): Promise<System> {
  const home = mkdtempSync(join(tmpdir(), "oxios-peers-"));
  writeKernelConfig(home);
  const bin = process.env.PEERS_KERNEL_BIN;
  const preload = process.env.PEERS_KERNEL_PRELOAD;
  if (bin === undefined || preload === undefined)
    throw new Error("oxios http: PEERS_KERNEL_BIN and PEERS_KERNEL_PRELOAD are set by run.ts");
  const kernel = await startHttpServerProcess(
    [
      ...(process.env.PEERS_KERNEL_NODE_FLAGS?.split(" ").filter((flag) => flag !== "") ?? []),
      "--import",
      pathToFileURL(preload).href,
      // Under `bench:peers --profile`, the kernel process is profiled too (its CPU is the one measured).
      ...(process.env.PEERS_CPU_PROF_DIR === undefined
        ? []
        : ["--cpu-prof", `--cpu-prof-dir=${process.env.PEERS_CPU_PROF_DIR}`]),
      bin,
      "start",
      "--foreground",
    ],
    { ...process.env, ...kernelEnvironment(baseUrl), OXIOS_HOME: home, OXIOS_PORT: "0" },
  );
  const token = readFileSync(join(home, "api-token"), "utf8").trim();
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const body = { goal: PROMPT, ...(allTools ? {} : { agent: BENCH_PROFILE }) };
  return {
    run: () => runOverHttp(kernel.url, headers, body),
    cpuMs: () => kernel.cpuMs(),
    rssMb: () => kernel.rssMb(),
    close: () => kernel.close(),
  };
}
