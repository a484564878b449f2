/**
 * Oxios over HTTP: a real kernel process — the built `oxios` command (`bin/oxios.mjs`, the
 * kernel's `dist/`) as `oxios start` runs it, on plain `node` — with the `add` tool preloaded
 * (the built preload, `PEERS_KERNEL_PRELOAD`); a run is `POST /api/runs` and long polls of
 * `GET /api/runs/{taskId}`. CPU and RSS are the kernel process's, read from /proc.
 * `PEERS_KERNEL_NODE_FLAGS` (space-separated) adds Node/V8 flags to the kernel process, to
 * measure one (such as `--max-semi-space-size=4`) against the default.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PROMPT, type System } from "../workload.ts";
import { BENCH_PROFILE, kernelEnvironment, writeKernelConfig } from "./oxios-environment.ts";

/** Clock ticks per second of /proc/<pid>/stat on Linux. */
const TICKS_PER_SECOND = 100;

export async function createOxiosHttp(baseUrl: string, allTools = false): Promise<System> {
  const home = mkdtempSync(join(tmpdir(), "oxios-peers-"));
  writeKernelConfig(home);
  const bin = process.env.PEERS_KERNEL_BIN;
  const preload = process.env.PEERS_KERNEL_PRELOAD;
  if (bin === undefined || preload === undefined)
    throw new Error("oxios http: PEERS_KERNEL_BIN and PEERS_KERNEL_PRELOAD are set by run.ts");
  const child = spawn(
    process.execPath,
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
    {
      env: { ...process.env, ...kernelEnvironment(baseUrl), OXIOS_HOME: home, OXIOS_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const url = await listening(child);
  const token = readFileSync(join(home, "api-token"), "utf8").trim();
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const pid = child.pid as number;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    async run() {
      const created = await fetch(`${url}/api/runs`, {
        method: "POST",
        headers,
        body: JSON.stringify({ goal: PROMPT, ...(allTools ? {} : { agent: BENCH_PROFILE }) }),
      });
      if (!created.ok) throw new Error(`oxios http: POST /api/runs → ${created.status} ${await created.text()}`);
      const { taskId } = (await created.json()) as { taskId: string };
      for (;;) {
        const response = await fetch(`${url}/api/runs/${taskId}?waitMs=30000`, { headers });
        const run = (await response.json()) as { status: string; error?: unknown };
        if (run.status === "completed") return;
        if (run.status === "failed" || run.status === "cancelled") {
          throw new Error(`oxios http: run ${run.status}: ${JSON.stringify(run.error)}`);
        }
      }
    },
    cpuMs() {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
      return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
    },
    rssMb() {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    async close() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => reject(new Error(`kernel exited (${code}) before listening:\n${output}`)));
  });
}
