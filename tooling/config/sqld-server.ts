/**
 * A real sqld (libsql server) for tests and benchmarks: started on 127.0.0.1 on a free port
 * with a data directory of its own and sqlite-vec preloaded (`--extensions-path`), stopped and
 * restarted on the same port and data (a server that goes away and comes back), and killed
 * with the process that started it. The binary comes from `tooling/scripts/sqld.mjs`.
 *
 * With `auth: true` the server accepts only JWTs signed by a fresh Ed25519 key (sqld's
 * `--auth-jwt-key-file`), and `authToken` is one such token.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sqldTooling } from "../scripts/sqld.mjs";
import { freePort } from "./free-port.ts";

export interface SqldServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** The directory holding the database (`data.sqld`) and the server's log. */
  readonly dataDir: string;
  /** A token the server accepts (`auth: true`), else undefined. */
  readonly authToken: string | undefined;
  /** The server's pid while it runs. */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves once it answers. */
  start(): Promise<void>;
  /** Stops the server and removes its data directory. */
  close(): Promise<void>;
}

export interface StartSqldOptions {
  /** Require a JWT (see the module comment). Default false. */
  auth?: boolean;
  /** Preload sqlite-vec (`--extensions-path`). Default true. */
  extensions?: boolean;
  /**
   * Serve a copy of this SQLite file (closed, its WAL checkpointed) instead of an empty
   * database: sqld finds no replication log beside it and rebuilds one from the file. For
   * benchmarks whose data would take long to write statement by statement over HTTP.
   */
  seed?: string;
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString("base64url");
}

/** An Ed25519 key pair: the public key as sqld reads it, and a token signed by the private one. */
function jwtKey(): { publicKeyPem: string; token: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const header = base64url(JSON.stringify({ alg: "EdDSA", typ: "JWT" }));
  const payload = base64url(JSON.stringify({ a: "rw", iat: Math.floor(Date.now() / 1000) }));
  const signature = base64url(sign(null, Buffer.from(`${header}.${payload}`), privateKey));
  return {
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    token: `${header}.${payload}.${signature}`,
  };
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Resolves once `GET /health` answers 200; rejects when the process exits first. */
async function ready(child: ChildProcess, url: string, log: () => string): Promise<void> {
  let exited: string | undefined;
  const onExit = (code: number | null, signal: string | null) => {
    exited = `sqld exited (${code ?? signal}) before it answered: ${log()}`;
  };
  child.once("exit", onExit);
  try {
    for (let attempt = 0; ; attempt++) {
      if (exited !== undefined) throw new Error(exited);
      try {
        // Each probe is bounded: a connection the server (or another process that took the port)
        // accepts but never answers must not hang the start.
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) return;
      } catch {
        // Not listening yet, or no answer in time: the next attempt waits a little longer.
      }
      if (attempt > 600) throw new Error(`sqld did not answer at ${url}: ${log()}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, 5 + attempt * 5)));
    }
  } finally {
    child.off("exit", onExit);
  }
}

async function exitOf(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  if (signal === "SIGKILL") return exited;
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts sqld on 127.0.0.1 on a free port, with a fresh data directory and sqlite-vec.
 * Throws when the server cannot start (its output is in the message).
 */
export async function startSqld(options: StartSqldOptions = {}): Promise<SqldServer> {
  const { binary, extensionsPath } = sqldTooling();
  const dataDir = mkdtempSync(join(tmpdir(), "oxios-sqld-"));
  if (options.seed !== undefined) {
    // sqld keeps the default namespace's database at <db-path>/dbs/default/data.
    const target = join(dataDir, "data.sqld", "dbs", "default");
    mkdirSync(target, { recursive: true });
    copyFileSync(options.seed, join(target, "data"));
  }
  let auth: { publicKeyPem: string; token: string } | undefined;
  if (options.auth === true) {
    auth = jwtKey();
    writeFileSync(join(dataDir, "jwt-key.pem"), auth.publicKeyPem);
  }
  let port = await freePort();
  let child: ChildProcess | undefined;
  let output = "";

  const launch = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      output = "";
      const args = [
        "--db-path",
        join(dataDir, "data.sqld"),
        "--http-listen-addr",
        `127.0.0.1:${port}`,
        ...(options.extensions === false ? [] : ["--extensions-path", extensionsPath]),
        "--no-welcome",
        ...(auth === undefined ? [] : ["--auth-jwt-key-file", join(dataDir, "jwt-key.pem")]),
      ];
      const started = spawn(binary, args, {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, RUST_LOG: "error" },
      });
      started.stdout?.on("data", (chunk: Buffer) => {
        output = `${output}${chunk.toString()}`.slice(-4_000);
      });
      started.stderr?.on("data", (chunk: Buffer) => {
        output = `${output}${chunk.toString()}`.slice(-4_000);
      });
      running.add(started);
      started.once("exit", () => running.delete(started));
      try {
        await ready(started, `http://127.0.0.1:${port}`, () => output);
        child = started;
        return;
      } catch (error) {
        await exitOf(started, "SIGKILL");
        // Another process took the port between freePort() and the bind: try another, unless
        // this is a restart that must keep its port.
        if (attempt >= 3 || child !== undefined || !/address already in use|os error 98/i.test(output)) throw error;
        port = await freePort();
      }
    }
  };
  await launch();

  const server: SqldServer = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    dataDir,
    authToken: auth?.token,
    get pid() {
      return child?.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    async stop() {
      if (child !== undefined) await exitOf(child, "SIGTERM");
    },
    async kill() {
      if (child !== undefined) await exitOf(child, "SIGKILL");
    },
    async start() {
      if (server.pid !== undefined) return;
      await launch();
    },
    async close() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
