// The bubblewrap adapter beyond the escape table: the programs agents are granted work
// inside it, and spare sandboxes are used once each, end when idle or closed, and never
// outlive the kernel's control.

import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManualClock } from "@oxios/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { ExecOutput } from "../exec/exec-tool.ts";
import { createHarness, errorCode, type Harness, okOutput, processesWithArgument, waitFor } from "../test-harness.ts";
import { BubblewrapSandbox } from "./bubblewrap-sandbox.ts";
import { DEFAULT_RESOURCE_LIMITS } from "./sandbox.ts";

const fixture = fileURLToPath(new URL("../__fixtures__/sandbox-holder.ts", import.meta.url));

let h: Harness;
let sandbox: BubblewrapSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  await h?.cleanup();
});

async function harness(binaries: string[], options: ConstructorParameters<typeof BubblewrapSandbox>[0] = {}) {
  sandbox = new BubblewrapSandbox(options);
  h = await createHarness({
    agent: { permissions: { exec: { binaries } } },
    tools: { exec: { sandbox } },
  });
  return h;
}

async function run(binary: string, ...args: string[]): Promise<ExecOutput> {
  return okOutput<ExecOutput>(await h.session.execute("exec", { binary, args }));
}

describe("bubblewrap: what agents are granted works inside", () => {
  it("git, node and python3 run in the workspace", async () => {
    await harness(["git", "node", "python3", "cat"]);
    okOutput(await h.session.execute("write", { path: "hello.py", content: "print(sum([20, 22]))\n" }));
    okOutput(await h.session.execute("write", { path: "hello.js", content: "console.log(6 * 7);\n" }));
    expect(await run("python3", "hello.py")).toMatchObject({ exitCode: 0, stdout: "42\n" });
    expect(await run("node", "hello.js")).toMatchObject({ exitCode: 0, stdout: "42\n" });
    expect((await run("git", "init", "-q", "-b", "main")).exitCode).toBe(0);
    expect((await run("git", "add", "hello.py", "hello.js")).exitCode).toBe(0);
    const commit = await run("git", "-c", "user.name=agent", "-c", "user.email=agent@oxios", "commit", "-qm", "first");
    expect(commit).toMatchObject({ exitCode: 0, stderr: "" });
    expect(await run("git", "log", "--format=%s")).toMatchObject({ exitCode: 0, stdout: "first\n" });
    // The repository is in the workspace, where the kernel (and its file tools) see it.
    expect(await readFile(join(h.workspace, ".git", "HEAD"), "utf8")).toBe("ref: refs/heads/main\n");
  });
});

describe("bubblewrap: read-only paths", () => {
  it("a runtime outside /usr is visible read-only, its bin on PATH", async () => {
    const runtime = await mkdtemp(join(tmpdir(), "oxios-runtime-"));
    try {
      await mkdir(join(runtime, "bin"), { mode: 0o755 });
      await chmod(runtime, 0o755);
      await writeFile(join(runtime, "bin", "hello-runtime"), "#!/bin/sh\necho hello from $0\n", { mode: 0o755 });
      await harness(["hello-runtime", "touch"], { readOnlyPaths: [runtime] });
      expect(await run("hello-runtime")).toMatchObject({
        exitCode: 0,
        stdout: `hello from ${join(runtime, "bin", "hello-runtime")}\n`,
      });
      const write = await run("touch", join(runtime, "bin", "planted"));
      expect(write.exitCode).not.toBe(0);
      expect(write.stderr).toContain("Read-only file system");
    } finally {
      await rm(runtime, { recursive: true, force: true });
    }
  });

  it("a sandbox that cannot be set up is refused with bubblewrap's own reason", async () => {
    await harness(["true"], { readOnlyPaths: ["/nonexistent-oxios-runtime"] });
    const result = await h.session.execute("exec", { binary: "true" });
    expect(errorCode(result)).toBe("EXEC_SANDBOX_UNAVAILABLE");
    if (!result.ok) expect(result.error.message).toContain("Can't find source path /nonexistent-oxios-runtime");
  });
});

describe("bubblewrap: the launcher", () => {
  it("passes every argument to the program literally, whatever shell syntax it holds", async () => {
    await harness([]);
    const words = ["it's", 'a "quoted" word', "two\nlines", "$(id)", "`id`", "*", "~", "\\", "; exit 3", "-n", ""];
    const prepared = await (sandbox as BubblewrapSandbox).prepare(
      { workspace: h.workspace, network: false, env: {}, limits: DEFAULT_RESOURCE_LIMITS },
      new AbortController().signal,
    );
    const child = prepared.run({
      file: "printf",
      args: ["[%s]", ...words],
      cpuSeconds: 10,
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    expect(await child.closed).toEqual({ code: 0, signal: null });
    expect(stdout).toBe(words.map((word) => `[${word}]`).join(""));
  });
});

describe("bubblewrap: lifetime", () => {
  it("when the process that started a sandbox is SIGKILLed, every process of the sandbox dies", async () => {
    h = await createHarness();
    const marker = `1000.${process.pid}9`;
    const holder = spawn(process.execPath, ["--conditions=@oxios/source", "--import", "tsx", fixture, h.workspace], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, HOLD_MARKER: marker },
    });
    const exited = new Promise<void>((resolve) => holder.once("exit", () => resolve()));
    try {
      await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
      await waitFor(() => processesWithArgument(marker).length === 2);
    } finally {
      holder.kill("SIGKILL");
      await exited;
    }
    await waitFor(() => processesWithArgument(marker).length === 0);
  });
});

describe("bubblewrap: spare sandboxes", () => {
  it("a call leaves one spare for the next; each spare runs one call; close ends the spares", async () => {
    await harness(["cat"], { maxSpares: 2 });
    expect(sandbox?.spares).toBe(0);
    okOutput(await h.session.execute("write", { path: "f.txt", content: "one\n" }));
    expect((await run("cat", "f.txt")).stdout).toBe("one\n");
    expect(sandbox?.spares).toBe(1);
    const pids = h.logger.find("debug", "exec spawned").map((record) => record.fields.pid);
    expect((await run("cat", "f.txt")).stdout).toBe("one\n");
    const second = h.logger.find("debug", "exec spawned").map((record) => record.fields.pid);
    expect(new Set(second).size).toBe(2); // a fresh sandbox per call
    expect(second[0]).toBe(pids[0]);
    expect(sandbox?.spares).toBe(1);
    await sandbox?.close();
    expect(sandbox?.spares).toBe(0);
  });

  it("a spare unused for spareIdleMs ends", async () => {
    const clock = new ManualClock();
    await harness(["true"], { maxSpares: 2, spareIdleMs: 5_000, clock });
    await run("true");
    expect(sandbox?.spares).toBe(1);
    await clock.advanceAsync(4_999);
    expect(sandbox?.spares).toBe(1);
    await clock.advanceAsync(1);
    expect(sandbox?.spares).toBe(0);
  });

  it("a spare that cannot start (its workspace was removed during the call) is not fatal", async () => {
    await harness(["sleep", "true"], { maxSpares: 1 });
    const call = h.session.execute("exec", { binary: "sleep", args: ["0.5"] });
    await waitFor(() => h.logger.find("debug", "exec spawned").length === 1);
    await rm(h.workspace, { recursive: true, force: true });
    okOutput(await call);
    // The spare for the removed workspace either never started or ended at once.
    await waitFor(() => sandbox?.spares === 0);
    await mkdir(h.workspace);
    expect((await run("true")).exitCode).toBe(0);
  });

  it("a spare that dies while it waits is dropped, and the next call gets a new sandbox", async () => {
    await harness(["true"], { maxSpares: 1 });
    await run("true");
    const spawned = h.logger.find("debug", "exec spawned").length;
    expect(sandbox?.spares).toBe(1);
    expect(killSpares()).toBe(1);
    await waitFor(() => sandbox?.spares === 0);
    expect((await run("true")).exitCode).toBe(0);
    expect(h.logger.find("debug", "exec spawned").length).toBe(spawned + 1);
  });
});

/** Kills the waiting spares: bubblewrap processes this process started that run no call. */
function killSpares(): number {
  const running = new Set(h.logger.find("debug", "exec spawned").map((record) => record.fields.pid as number));
  let killed = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || running.has(Number(entry))) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch (error) {
      if ((error as { code?: unknown }).code === "ENOENT") continue;
      throw error;
    }
    const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (command === "bwrap" && parent === process.pid) {
      process.kill(-Number(entry), "SIGKILL");
      killed += 1;
    }
  }
  return killed;
}
