/**
 * A real redis-server for benchmarks (the cluster bench's BullMQ baseline): started on
 * 127.0.0.1 on a free port with a data directory of its own, the settings BullMQ asks of a
 * production server (`maxmemory-policy noeviction`; the append-only file on, fsync every
 * second — close to the durability of sqld's WAL with `synchronous = NORMAL`), and killed
 * with the process that started it. The binary comes from `tooling/scripts/redis.mjs`.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redisTooling } from "../scripts/redis.mjs";
import { freePort } from "./free-port.ts";

export interface RedisServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `x.y.z` as the server reports it. */
  readonly version: string;
  /** The server's pid while it runs. */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its data directory. */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Resolves once the server logs that it accepts connections; rejects when it exits first. */
function ready(child: ChildProcess, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`redis-server did not get ready in 30 s: ${log()}`));
    }, 30_000);
    const onData = () => {
      if (/Ready to accept connections/.test(log())) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`redis-server exited (${code ?? signal}) before it was ready: ${log()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** Starts redis-server on 127.0.0.1 on a free port with a fresh data directory. */
export async function startRedis(): Promise<RedisServer> {
  const { binary, env, version } = redisTooling();
  const dataDir = mkdtempSync(join(tmpdir(), "oxios-redis-"));
  const port = await freePort();
  const child = spawn(
    binary,
    [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--dir",
      dataDir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--maxmemory-policy",
      "noeviction",
      "--daemonize",
      "no",
      "--loglevel",
      "notice",
    ],
    { stdio: ["ignore", "pipe", "pipe"], env },
  );
  let output = "";
  const append = (chunk: Buffer) => {
    output = `${output}${chunk.toString()}`.slice(-4_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  running.add(child);
  child.once("exit", () => running.delete(child));
  try {
    await ready(child, () => output);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    host: "127.0.0.1",
    port,
    version,
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
