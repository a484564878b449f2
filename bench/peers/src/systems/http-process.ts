/**
 * What the two systems measured over HTTP share, so both get the same client and the same
 * accounting: a server process on plain `node` that prints `listening on http://…`, a run as
 * `POST /api/runs` and long polls of `GET /api/runs/{taskId}` with Node's `fetch`, and the
 * server process's CPU and RSS read from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat on Linux. */
const TICKS_PER_SECOND = 100;

export interface HttpServerProcess {
  url: string;
  pid: number;
  /** User + system CPU of the server process so far, in ms. */
  cpuMs(): number;
  /** Its resident set size, in MB. */
  rssMb(): number;
  /** SIGTERM, then waits for it to exit. */
  close(): Promise<void>;
}

export async function startHttpServerProcess(args: string[], env: NodeJS.ProcessEnv): Promise<HttpServerProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await listening(child);
  const pid = child.pid as number;
  return {
    url,
    pid,
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

/** One run over HTTP: `POST /api/runs` with `body`, then long polls until the run has ended. */
export async function runOverHttp(url: string, headers: Record<string, string>, body: unknown): Promise<void> {
  const created = await fetch(`${url}/api/runs`, { method: "POST", headers, body: JSON.stringify(body) });
  if (!created.ok) throw new Error(`POST /api/runs → ${created.status} ${await created.text()}`);
  const { taskId } = (await created.json()) as { taskId: string };
  for (;;) {
    const response = await fetch(`${url}/api/runs/${taskId}?waitMs=30000`, { headers });
    const run = (await response.json()) as { status: string; error?: unknown };
    if (run.status === "completed") return;
    if (run.status === "failed" || run.status === "cancelled") {
      throw new Error(`run ${run.status}: ${JSON.stringify(run.error)}`);
    }
  }
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
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before listening:\n${output}`)));
  });
}
