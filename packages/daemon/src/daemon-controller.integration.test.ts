import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { hostname, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, KernelError } from "@oxios/core";
import { createMemoryLogger } from "@oxios/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DaemonController, type DaemonStartOptions } from "./daemon-controller.ts";
import { inspectPidFile, pidFilePath } from "./pid-file.ts";
import { probeProcess } from "./process-probe.ts";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, "..");
const fixture = join(here, "__fixtures__", "daemon-fixture.ts");

let home: string;
let controller: DaemonController;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "oxios-daemon-"));
  controller = new DaemonController({ home, logger: createMemoryLogger() });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  const seen = await inspectPidFile(home);
  if (seen.state === "running") process.kill(seen.record.pid, "SIGKILL");
  await rm(home, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const probe: Server = createServer();
  await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

async function startOptions(mode = "graceful", port?: number): Promise<DaemonStartOptions> {
  const chosen = port ?? (await freePort());
  return {
    command: process.execPath,
    args: ["--conditions=@oxios/source", "--import", "tsx", fixture],
    cwd: packageDir,
    env: { FIXTURE_PORT: String(chosen), FIXTURE_MODE: mode },
    healthUrl: `http://127.0.0.1:${chosen}/health`,
    timeoutMs: 20_000,
  };
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid as number;
  await new Promise((done) => child.once("exit", done));
  return pid;
}

describe("DaemonController with a real daemon process", () => {
  it("starts detached, reports running, refuses a second start, stops gracefully with exit code 0", async () => {
    expect(await controller.status()).toEqual({ state: "stopped" });
    const options = await startOptions();
    const started = await controller.start(options);
    expect(started.url).toBe(new URL(options.healthUrl).origin);
    expect((await fetch(options.healthUrl)).status).toBe(200);

    const status = await controller.status();
    expect(status).toMatchObject({ state: "running", pid: started.pid, url: started.url });
    expect(status.state === "running" && status.uptimeMs).toBeGreaterThanOrEqual(0);

    const second = await controller.start(await startOptions()).catch((error: unknown) => error);
    expect(KernelError.hasCode(second, "DAEMON_ALREADY_RUNNING")).toBe(true);
    expect((second as Error).message).toContain(`pid ${started.pid}`);

    const stopped = await controller.stop({ timeoutMs: 10_000 });
    expect(stopped).toMatchObject({ outcome: "graceful", pid: started.pid, exitCode: 0 });
    expect(await inspectPidFile(home)).toEqual({ state: "absent" });
    expect((await probeProcess(started.pid)).alive).toBe(false);
    expect(await controller.status()).toEqual({ state: "stopped" });
    const log = await readFile(controller.logPath, "utf8");
    expect(log).toContain(`fixture ${started.pid} shut down ok=true`);
    expect(await controller.stop()).toMatchObject({ outcome: "not-running" });
  });

  it("holds the event loop open while stop waits for the exit of the daemon it started (unref'd until then)", async () => {
    // Only ref'd handles are listed: the started daemon must not keep a CLI alive, but once
    // stop() is waiting for its exit nothing else may be keeping this process alive.
    const processes = () => process.getActiveResourcesInfo().filter((name) => name === "ProcessWrap").length;
    const before = processes();
    const sending: number[] = [];
    const logger = createLogger({
      level: "debug",
      write: (record) => {
        if (record.message === "sending SIGTERM") sending.push(processes());
      },
    });
    const watched = new DaemonController({ home, logger });
    await watched.start(await startOptions());
    expect(processes()).toBe(before);
    expect(await watched.stop({ timeoutMs: 10_000 })).toMatchObject({ outcome: "graceful", exitCode: 0 });
    expect(sending).toEqual([before + 1]);
    // The child's handle is closed by libuv at the end of the loop turn that reported its exit,
    // which may come after stop resolves; it must go then, not stay ref'd.
    await vi.waitFor(() => expect(processes()).toBe(before), { timeout: 60_000 });
  });

  it("creates a missing home 0700, logs/ 0700 and the log and pid file 0600", async () => {
    const fresh = join(home, "fresh-home");
    const own = new DaemonController({ home: fresh, logger: createMemoryLogger() });
    const started = await own.start(await startOptions());
    cleanups.push(async () => {
      await own.stop({ timeoutMs: 10_000 });
    });
    const mode = async (path: string) => (await stat(path)).mode & 0o777;
    expect((await mode(fresh)).toString(8)).toBe("700");
    expect((await mode(join(fresh, "logs"))).toString(8)).toBe("700");
    expect((await mode(own.logPath)).toString(8)).toBe("600");
    expect((await mode(pidFilePath(fresh))).toString(8)).toBe("600");
    expect(started.logPath).toBe(own.logPath);
  });

  it("appends the log across two starts (restart) instead of truncating it", async () => {
    const options = await startOptions();
    const first = await controller.start(options);
    const { stopped, started: second } = await controller.restart({ ...options, stop: { timeoutMs: 10_000 } });
    expect(stopped).toMatchObject({ outcome: "graceful", pid: first.pid, exitCode: 0 });
    expect(second.pid).not.toBe(first.pid);
    await controller.stop({ timeoutMs: 10_000 });
    const log = await readFile(controller.logPath, "utf8");
    const firstListening = log.indexOf(`fixture ${first.pid} listening`);
    const firstShutdown = log.indexOf(`fixture ${first.pid} shut down ok=true`);
    const secondListening = log.indexOf(`fixture ${second.pid} listening`);
    expect(firstListening).toBeGreaterThanOrEqual(0);
    expect(firstShutdown).toBeGreaterThan(firstListening);
    expect(secondListening).toBeGreaterThan(firstShutdown);
    expect(log.match(/^--- .* starting: /gm)).toHaveLength(2);
  });

  it("inside the daemon, SIGHUP reloads and SIGINT runs the same ordered shutdown", async () => {
    const started = await controller.start(await startOptions());
    // Waits for the daemon's own log line or exit; the test's timeout bounds the wait.
    const until = async (condition: () => Promise<boolean>): Promise<void> => {
      while (!(await condition())) await new Promise((done) => setTimeout(done, 25));
    };
    const logHas = (text: string) => until(async () => (await readFile(controller.logPath, "utf8")).includes(text));
    process.kill(started.pid, "SIGHUP");
    await logHas(`fixture ${started.pid} reloaded`);
    expect(await controller.status()).toMatchObject({ state: "running", pid: started.pid });
    process.kill(started.pid, "SIGINT");
    await logHas(`fixture ${started.pid} shut down ok=true reason=SIGINT`);
    await until(async () => !(await probeProcess(started.pid)).alive);
    expect(await inspectPidFile(home)).toEqual({ state: "absent" });
    expect(await controller.status()).toEqual({ state: "stopped" });
  });

  it("SIGKILLs a daemon that ignores SIGTERM once the timeout passes, and clears its pid file", async () => {
    const started = await controller.start(await startOptions("ignore-sigterm"));
    const stopped = await controller.stop({ timeoutMs: 600 });
    expect(stopped).toMatchObject({ outcome: "killed", pid: started.pid, exitCode: null, exitSignal: "SIGKILL" });
    expect(stopped.durationMs).toBeGreaterThanOrEqual(600);
    expect((await probeProcess(started.pid)).alive).toBe(false);
    expect(await inspectPidFile(home)).toEqual({ state: "absent" });
    expect(await readFile(controller.logPath, "utf8")).toContain(`fixture ${started.pid} ignoring SIGTERM`);
  });

  it("recovers a stale pid file (dead pid): status says stale, start succeeds", async () => {
    const pid = await deadPid();
    await writeFile(
      pidFilePath(home),
      JSON.stringify({ pid, startedAt: 0, hostname: hostname(), token: "crashed-daemon" }),
    );
    expect(await controller.status()).toMatchObject({ state: "stale", pid });
    const started = await controller.start(await startOptions());
    expect(await controller.status()).toMatchObject({ state: "running", pid: started.pid });
    await controller.stop({ timeoutMs: 10_000 });
  });

  it("a stale pid file is cleared by stop", async () => {
    const pid = await deadPid();
    await writeFile(pidFilePath(home), JSON.stringify({ pid, startedAt: 0, hostname: hostname(), token: "x" }));
    expect(await controller.stop()).toMatchObject({ outcome: "stale-removed", pid });
    expect(await inspectPidFile(home)).toEqual({ state: "absent" });
  });

  it("reports the exit code and the last log lines when the daemon exits before it is healthy", async () => {
    const error = await controller.start(await startOptions("exit-early")).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "DAEMON_START_FAILED", details: { exitCode: 3 } });
    const details = (error as KernelError).details as { logTail: string[] };
    expect(details.logTail.at(-1)).toBe("fixture: configuration broken, giving up");
    expect((error as Error).message).toContain("exited with code 3");
    expect(await controller.status()).toEqual({ state: "stopped" });
  });

  it("an occupied port fails the start with DAEMON_PORT_IN_USE in the reported log", async () => {
    // Holds the port and hangs up on every connection, so health checks fail fast.
    const blocker: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((done) => blocker.listen(0, "127.0.0.1", done));
    cleanups.push(() => new Promise<void>((done) => blocker.close(() => done())));
    const port = (blocker.address() as { port: number }).port;
    const error = await controller.start(await startOptions("graceful", port)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "DAEMON_START_FAILED", details: { exitCode: 2 } });
    expect((error as Error).message).toContain("DAEMON_PORT_IN_USE");
    expect((error as Error).message).toContain(`port ${port}`);
    expect(await inspectPidFile(home)).toEqual({ state: "absent" });
  });

  it("a command that cannot be spawned is DAEMON_START_FAILED", async () => {
    const options = await startOptions();
    await expect(controller.start({ ...options, command: join(home, "no-such-program") })).rejects.toMatchObject({
      code: "DAEMON_START_FAILED",
    });
  });

  it("a logs/ that is a file is DAEMON_START_FAILED with the platform's error as cause", async () => {
    await writeFile(join(home, "logs"), "not a directory");
    const error = await controller.start(await startOptions()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KernelError);
    expect(error).toMatchObject({ code: "DAEMON_START_FAILED", details: { path: join(home, "logs") } });
    expect((error as KernelError).cause).toMatchObject({ code: "EEXIST" });
    expect(await inspectPidFile(home)).toEqual({ state: "absent" });
  });

  it("a log path that is a directory is DAEMON_START_FAILED with the platform's error as cause", async () => {
    await mkdir(join(home, "logs", "oxios.log"), { recursive: true });
    const error = await controller.start(await startOptions()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KernelError);
    expect(error).toMatchObject({ code: "DAEMON_START_FAILED", details: { path: controller.logPath } });
    expect((error as KernelError).cause).toMatchObject({ code: "EISDIR" });
  });
});
