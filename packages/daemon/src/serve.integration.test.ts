import { spawn } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createMemoryLogger } from "@oxios/core/testing";
import { runtimeBinary } from "@oxios/tooling/runtimes";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { serve } from "./serve.ts";
import type { ServedHttp } from "./serve-types.ts";

const here = dirname(fileURLToPath(import.meta.url));
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function occupyPort(): Promise<number> {
  const blocker: Server = createServer();
  await new Promise<void>((done) => blocker.listen(0, "127.0.0.1", done));
  cleanups.push(() => new Promise<void>((done) => blocker.close(() => done())));
  return (blocker.address() as { port: number }).port;
}

/** A connection the server has accepted and answered one `GET /health` on (kept alive). */
async function primed(port: number): Promise<Socket> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const opened = connect(port, "127.0.0.1", () => resolve(opened));
    opened.once("error", reject);
  });
  socket.setEncoding("utf8");
  await new Promise<void>((resolve) => {
    let text = "";
    const onData = (chunk: string) => {
      text += chunk;
      if (!text.endsWith('{"status":"ok"}')) return;
      socket.off("data", onData);
      resolve();
    };
    socket.on("data", onData);
    socket.write("GET /health HTTP/1.1\r\nhost: x\r\n\r\n");
  });
  return socket;
}

/** Everything the server sends on `socket` until it closes the connection. */
function answerOf(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    socket.once("error", reject);
    socket.once("close", () => resolve(text));
  });
}

async function served(promise: Promise<ServedHttp>): Promise<ServedHttp> {
  const server = await promise;
  cleanups.push(() => server.close());
  return server;
}

describe("serve on Node", () => {
  it("answers real requests on a port 0 picked for it, and reports that port", async () => {
    const server = await served(
      serve(
        async (request) =>
          Response.json({ method: request.method, path: new URL(request.url).pathname, body: await request.text() }),
        { hostname: "127.0.0.1", port: 0, logger: createMemoryLogger() },
      ),
    );
    expect(server.runtime).toBe("node");
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const response = await fetch(`${server.url}/health?x=1`, { method: "POST", body: "hello" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ method: "POST", path: "/health", body: "hello" });
  });

  it("keeps idle keep-alive sockets 65 s, so clients (undici: 4 s) close them first and no reuse races a close", async () => {
    const server = await served(serve(() => new Response("ok"), { port: 0, logger: createMemoryLogger() }));
    const response = await fetch(`${server.url}/health`, { headers: { connection: "keep-alive" } });
    await response.text();
    expect(response.headers.get("keep-alive")).toBe("timeout=65");
  });

  it("close does not wait out the keep-alive of a socket whose request was in flight", async () => {
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    let enter: () => void = () => undefined;
    const entered = new Promise<void>((resolve) => (enter = resolve));
    const server = await serve(
      async () => {
        enter();
        await answered;
        return new Response("late");
      },
      { port: 0, logger: createMemoryLogger() },
    );
    const request = fetch(`${server.url}/slow`, { headers: { connection: "keep-alive" } }).then((response) =>
      response.text(),
    );
    // The request is in the handler (its socket busy) when close starts.
    await entered;
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    answer();
    expect(await request).toBe("late");
    // Without closing the socket once idle, close would resolve only after 65 s.
    await closing;
    expect(closed).toBe(true);
  });

  it("answers the liveness path from memory while a burst of handlers waits in the queue", async () => {
    const total = 30;
    let started = 0;
    let startedAtLiveness: number | undefined;
    const server = await served(
      serve(
        () => {
          started++;
          // 20 ms of the event loop each: one handler per slice, a whole burst takes 600 ms.
          const until = performance.now() + 20;
          while (performance.now() < until) {
            // busy: this handler holds the loop
          }
          return new Response("done");
        },
        {
          port: 0,
          logger: createMemoryLogger(),
          liveness: {
            path: "/health",
            body: () => {
              startedAtLiveness = started;
              return { status: "ok" };
            },
          },
        },
      ),
    );
    // Every connection is open and read by the server (one liveness probe each, kept alive)
    // before the burst is written, all in one tick and the probe last: the server reads the
    // whole burst in one turn of its loop.
    const sockets = await Promise.all(Array.from({ length: total + 1 }, () => primed(server.port)));
    const answers = sockets.map(answerOf);
    for (const socket of sockets.slice(0, total)) {
      socket.write("POST /work HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\nconnection: close\r\n\r\nx");
    }
    (sockets[total] as Socket).write("GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    const [liveness, ...burst] = [answers[total] as Promise<string>, ...answers.slice(0, total)];
    expect(await liveness).toMatch(/^HTTP\/1\.1 200 [\s\S]*\r\n\r\n\{"status":"ok"\}$/);
    for (const answer of await Promise.all(burst)) expect(answer).toMatch(/^HTTP\/1\.1 200 [\s\S]*done$/);
    // Answered before the burst's handlers ran, not after all of them.
    expect(startedAtLiveness).toBeLessThan(total / 2);
    // Only a GET of exactly that path is answered from memory; the rest goes to the handler.
    expect(await (await fetch(`${server.url}/health?full=1`)).text()).toBe("done");
    expect(await (await fetch(`${server.url}/health`, { method: "POST" })).text()).toBe("done");
  });

  it("turns an occupied port into DAEMON_PORT_IN_USE naming the port", async () => {
    const port = await occupyPort();
    const error = await serve(() => new Response("no"), { port, logger: createMemoryLogger() }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "DAEMON_PORT_IN_USE", details: { port, hostname: "127.0.0.1" } });
    expect((error as Error).message).toContain(`port ${port}`);
  });

  it("answers a throwing handler with a logged 500 JSON error", async () => {
    const logger = createMemoryLogger();
    const server = await served(
      serve(
        () => {
          throw new Error("handler bug");
        },
        { port: 0, logger },
      ),
    );
    const response = await fetch(`${server.url}/boom`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
    expect(logger.find("error", "request handler failed")[0]?.fields.error).toMatchObject({ message: "handler bug" });
  });

  it("close stops listening (idempotent) and an abort signal closes too", async () => {
    const server = await serve(() => new Response("ok"), { port: 0, logger: createMemoryLogger() });
    expect((await fetch(server.url)).status).toBe(200);
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(server.url)).rejects.toThrow();

    const controller = new AbortController();
    const second = await serve(() => new Response("ok"), {
      port: 0,
      signal: controller.signal,
      logger: createMemoryLogger(),
    });
    controller.abort();
    await second.close();
    await expect(fetch(second.url)).rejects.toThrow();
    await expect(serve(() => new Response("ok"), { port: 0, signal: controller.signal })).rejects.toMatchObject({
      code: "ABORTED",
    });
  });

  it("refuses a port outside 0..65535", async () => {
    await expect(serve(() => new Response("ok"), { port: 70_000 })).rejects.toMatchObject({
      code: "DAEMON_OPTIONS_INVALID",
    });
  });
});

const runtimeFlags = {
  bun: ["--conditions=@oxios/source"],
  deno: ["run", "-A", "--conditions=@oxios/source"],
} as const;

describe.each(Object.keys(runtimeFlags) as Array<keyof typeof runtimeFlags>)("serve under %s", (runtime) => {
  let binary = "";
  // Bun and Deno are installed from npm on first use (the portability run shares them).
  beforeAll(() => {
    binary = runtimeBinary(runtime);
  }, 600_000);

  it("picks its own adapter, answers a request, closes, and reports an occupied port", async () => {
    const port = await occupyPort();
    const flags = runtimeFlags[runtime];
    const child = spawn(binary, [...flags, join(here, "__fixtures__", "serve-once.ts")], {
      cwd: resolve(here, ".."),
      env: { ...process.env, OCCUPIED_PORT: String(port), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    // The first line (or an early exit), however long a loaded machine takes to get there.
    await new Promise<void>((done) => {
      const check = (): void => {
        if (stdout.includes("\n")) done();
      };
      child.stdout.on("data", check);
      child.once("exit", () => done());
      check();
    });
    const first = stdout.split("\n")[0] ?? "";
    expect(first, stderr).toMatch(/^\{/);
    const info = JSON.parse(first) as { url: string; port: number; runtime: string; portError?: string };
    expect(info.runtime).toBe(runtime);
    expect(info.port).toBeGreaterThan(0);
    expect(info.portError).toContain("DAEMON_PORT_IN_USE");
    expect(info.portError).toContain(`port ${port}`);
    const response = await fetch(`${info.url}/ping`);
    expect(await response.json()).toEqual({ runtime, path: "/ping" });
    expect(await exited).toBe(0);
    expect(stdout).toContain("closed");
  });
});
