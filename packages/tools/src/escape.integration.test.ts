// The escape table: each row is an attack an agent can make with its tools, run for real
// (bubblewrap, real processes, real files) against an agent on the kernel's defaults (role
// user, template standard, the default exec allowlist) unless the row says what it grants.
// Each test fails if its attack works. Rows that need a program or shell mode the defaults do
// not grant say so: they show that the OS sandbox holds even when the allowlist lets a program
// through. The layout mimics the kernel's home: `home/api-token`, `home/config.toml`, and the
// agent's workspace at `home/agents/<id>`.

import { spawn } from "node:child_process";
import { link, mkdir, readdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { createMemoryLogger } from "@oxios/core/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ExecOutput } from "./exec/exec-tool.ts";
import type { AgentPermissions, Role } from "./permissions.ts";
import type { ToolSession } from "./registry.ts";
import { BubblewrapSandbox, type SandboxIdentity } from "./sandbox/bubblewrap-sandbox.ts";
import type { DEFAULT_RESOURCE_LIMITS } from "./sandbox/sandbox.ts";
import { createHarness, errorCode, type Harness, okOutput, processesWithArgument, waitFor } from "./test-harness.ts";

const TOKEN = "oxt_escape_table_token_0123456789abcdef";
const LLM_KEY = "sk-escape-table-llm-key-9876543210";
const isRoot = process.getuid?.() === 0;

interface Home {
  home: string;
  workspace: string;
  outside: string;
  config: string;
}

let h: Harness;
let layout: Home;
afterEach(async () => {
  await h?.cleanup();
});

/** A fresh kernel-like home for each test, and a harness whose exec runs in `sandbox`. */
async function setUp(sandbox: BubblewrapSandbox, limits?: Partial<typeof DEFAULT_RESOURCE_LIMITS>): Promise<void> {
  h = await createHarness({ tools: { exec: { sandbox, ...(limits === undefined ? {} : { limits }) } } });
  const home = join(h.root, "home");
  layout = {
    home,
    workspace: join(home, "agents", "agent-1"),
    outside: join(h.root, "outside"),
    config: join(home, "config.toml"),
  };
  await mkdir(layout.workspace, { recursive: true });
  await mkdir(layout.outside);
  await writeFile(join(home, "api-token"), `${TOKEN}\n`, { mode: 0o600 });
  await writeFile(layout.config, 'model = "demo"\n', { mode: 0o600 });
  await writeFile(join(layout.outside, "secret.txt"), `${TOKEN}\n`);
}

function agent(grant: { binaries?: string[]; shell?: boolean; network?: boolean; role?: Role } = {}) {
  const permissions: AgentPermissions = {
    ...(grant.binaries === undefined && grant.shell === undefined
      ? {}
      : {
          exec: {
            ...(grant.binaries === undefined ? {} : { binaries: grant.binaries }),
            ...(grant.shell === undefined ? {} : { shell: grant.shell }),
          },
        }),
    ...(grant.network === undefined ? {} : { network: grant.network }),
  };
  return h.sessionFor({ workspaceDir: layout.workspace, permissions, ...(grant.role ? { role: grant.role } : {}) });
}

async function run(session: ToolSession, input: Record<string, unknown>): Promise<ExecOutput> {
  return okOutput<ExecOutput>(await session.execute("exec", input));
}

/** Every file in the workspace, read from the host (what an attack may have left there). */
async function workspaceText(): Promise<string> {
  const names = await readdir(layout.workspace, { recursive: true });
  let text = "";
  for (const name of names) {
    const path = join(layout.workspace, name);
    if ((await stat(path)).isFile()) text += await readFile(path, "utf8");
  }
  return text;
}

const identities: Array<{ name: string; identity: SandboxIdentity }> = isRoot
  ? [
      { name: "host user 65534 (a root kernel's default)", identity: { uid: 65534, gid: 65534 } },
      { name: "user namespace", identity: "user-namespace" },
    ]
  : [{ name: "user namespace (an unprivileged kernel's default)", identity: "user-namespace" }];

describe.each(identities)("escape table, sandbox as $name", ({ identity }) => {
  let sandbox: BubblewrapSandbox;
  beforeAll(() => {
    sandbox = new BubblewrapSandbox({ identity, maxSpares: 2 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it("sort --compress-program=sh runs the agent's script, and the script reaches nothing outside", async () => {
    await setUp(sandbox);
    const session = await agent();
    const script = [
      `cat ${layout.home}/api-token > stolen-token 2>&1`,
      `cat /proc/${process.pid}/environ > stolen-environ 2>&1`,
      "cat /etc/shadow > stolen-shadow 2>&1",
      `ls -a ${layout.home} > home-listing 2>&1`,
      `echo pwned > ${layout.config} 2>> write-errors`,
      `echo pwned > ${layout.outside}/pwned 2>> write-errors`,
      "id -u > ran-as",
      "echo executed > proof",
      ...Array.from(
        { length: 60 },
        (_, index) => `# padding so sort spills to its compressor ${index} ${"x".repeat(40)}`,
      ),
    ].join("\n");
    okOutput(await session.execute("write", { path: "evil.sh", content: `${script}\n` }));
    await run(session, { binary: "sort", args: ["-S", "1", "--compress-program=sh", "-o", "/dev/null", "evil.sh"] });
    // The code did run (the attack's first step works) …
    expect(await readFile(join(layout.workspace, "proof"), "utf8")).toBe("executed\n");
    // … and found nothing: no token, no kernel environment, no shadow, an empty home.
    const evidence = await workspaceText();
    expect(evidence).not.toContain(TOKEN);
    expect(evidence).not.toContain(LLM_KEY);
    expect(await readFile(join(layout.workspace, "stolen-shadow"), "utf8")).toMatch(/No such file/);
    expect((await readFile(join(layout.workspace, "home-listing"), "utf8")).split("\n")).not.toContain("api-token");
    expect(await readFile(layout.config, "utf8")).toBe('model = "demo"\n');
    await expect(stat(join(layout.outside, "pwned"))).rejects.toMatchObject({ code: "ENOENT" });
    expect((await readFile(join(layout.workspace, "ran-as"), "utf8")).trim()).toBe("65534");
  });

  it("reads the API token neither by absolute nor by relative path", async () => {
    await setUp(sandbox);
    const absolute = await run(await agent(), { binary: "cat", args: [`${layout.home}/api-token`] });
    expect(absolute.exitCode).not.toBe(0);
    expect(absolute.stdout).not.toContain(TOKEN);
    // `..` is refused by the exec policy (the first layer) …
    const relative = await (await agent()).execute("exec", { binary: "cat", args: ["../../api-token"] });
    expect(errorCode(relative)).toBe("TOOL_EXEC_DENIED");
    // … and with the first layer out of the way (shell mode), the sandbox still has no such file.
    const shell = await run(await agent({ role: "admin", shell: true }), {
      mode: "shell",
      command: "cat ../../api-token",
    });
    expect(shell.exitCode).not.toBe(0);
    expect(shell.stdout).not.toContain(TOKEN);
    // The read tool refuses it too.
    expect(errorCode(await (await agent()).execute("read", { path: `${layout.home}/api-token` }))).toBe(
      "TOOL_PATH_DENIED",
    );
  });

  it("reads neither /proc/<kernel pid>/environ nor /etc/shadow (cat, date -f)", async () => {
    await setUp(sandbox);
    process.env.OXIOS_ESCAPE_LLM_KEY = LLM_KEY;
    try {
      const session = await agent();
      const environ = await run(session, { binary: "cat", args: [`/proc/${process.pid}/environ`, "/proc/1/environ"] });
      expect(environ.stdout + environ.stderr).not.toContain(LLM_KEY);
      expect(environ.stderr).toContain(`/proc/${process.pid}/environ: No such file`);
      for (const args of [["/etc/shadow"], ["-f", "/etc/shadow"]]) {
        const output = await run(session, { binary: args.length === 1 ? "cat" : "date", args });
        expect(output.exitCode).not.toBe(0);
        expect(output.stderr).toContain("/etc/shadow: No such file");
      }
    } finally {
      delete process.env.OXIOS_ESCAPE_LLM_KEY;
    }
  });

  it("writes nothing outside the workspace: uniq, sort -o, cp, the write tool", async () => {
    await setUp(sandbox);
    const session = await agent({ binaries: ["uniq", "sort", "cp"] });
    okOutput(await session.execute("write", { path: "input.txt", content: "a\nb\n" }));
    const targets = ["by-uniq", "by-sort", "by-cp"].map((name) => join(layout.outside, name));
    const attempts = [
      { binary: "uniq", args: ["input.txt", targets[0]] },
      { binary: "sort", args: ["-o", targets[1], "input.txt"] },
      { binary: "cp", args: ["input.txt", targets[2]] },
    ];
    for (const attempt of attempts) expect((await run(session, attempt)).exitCode).not.toBe(0);
    const write = await session.execute("write", { path: join(layout.outside, "by-write"), content: "x" });
    expect(errorCode(write)).toBe("TOOL_PATH_DENIED");
    expect((await readdir(layout.outside)).sort()).toEqual(["secret.txt"]);
  });

  it("cannot overwrite config.toml (an MCP server there would run at the next start)", async () => {
    await setUp(sandbox);
    const session = await agent({ binaries: ["cp", "sort"] });
    const evil = '[mcp.servers.evil]\ncommand = "sh"\nargs = ["-c", "cat api-token"]\n';
    okOutput(await session.execute("write", { path: "evil.toml", content: evil }));
    expect(errorCode(await session.execute("write", { path: layout.config, content: evil }))).toBe("TOOL_PATH_DENIED");
    expect(errorCode(await session.execute("edit", { path: layout.config, oldText: "demo", newText: "x" }))).toBe(
      "TOOL_PATH_DENIED",
    );
    // Inside, the home holds nothing but the path to the workspace (a private, empty copy of
    // its directories), so whatever cp and sort manage to write, the host's file is untouched.
    await run(session, { binary: "cp", args: ["evil.toml", layout.config] });
    await run(session, { binary: "sort", args: ["-o", layout.config, "evil.toml"] });
    expect(await readFile(layout.config, "utf8")).toBe('model = "demo"\n');
  });

  it("a setsid grandchild dies with its call: on cancel, on timeout, and when the program exits", async () => {
    await setUp(sandbox);
    const session = await agent({ role: "admin", shell: true, binaries: ["setsid"] });
    const [cancelled, exited, timedOut] = [`1000.${process.pid}1`, `1000.${process.pid}2`, `1000.${process.pid}4`];
    const controller = new AbortController();
    const call = session.execute(
      "exec",
      { mode: "shell", command: `setsid sleep ${cancelled} & exec sleep 1001` },
      { signal: controller.signal },
    );
    await waitFor(() => processesWithArgument(cancelled).length === 1);
    controller.abort();
    expect(errorCode(await call)).toBe("ABORTED");
    await waitFor(() => processesWithArgument(cancelled).length === 0);
    // `setsid -f` forks the child into a new session and returns at once.
    const done = await run(session, { binary: "setsid", args: ["-f", "sleep", exited] });
    expect(done.exitCode).toBe(0);
    await waitFor(() => processesWithArgument(exited).length === 0);
    // The call's timeout (on the test's ManualClock) ends the sandbox the same way.
    const slow = session.execute("exec", {
      mode: "shell",
      command: `setsid sleep ${timedOut} & exec sleep 1001`,
      timeoutSeconds: 5,
    });
    await waitFor(() => processesWithArgument(timedOut).length === 1 && h.clock.pendingTimers > 0);
    await h.clock.advanceAsync(5000);
    expect(okOutput<ExecOutput>(await slow)).toMatchObject({ timedOut: true, stoppedBy: "timeout" });
    await waitFor(() => processesWithArgument(timedOut).length === 0);
  });

  it("reads never return a file outside while a file or a directory is swapped for a symlink (2,000 reads each)", async () => {
    await setUp(sandbox);
    const session = await agent();
    const secret = join(layout.outside, "secret.txt");
    await writeFile(join(layout.workspace, "target"), "inside\n");
    await mkdir(join(layout.workspace, "dir"));
    await writeFile(join(layout.workspace, "dir", "secret.txt"), "inside\n");
    const swappers = [
      startSwapper({ path: join(layout.workspace, "target"), kind: "file", link: secret }),
      startSwapper({ path: join(layout.workspace, "dir"), kind: "directory", link: layout.outside }),
    ];
    try {
      for (const swapper of swappers) await swapper.swapping;
      for (const path of ["target", "dir/secret.txt"]) {
        const outcomes = { inside: 0, refused: 0, other: 0 };
        // At least 2,000 reads, and on until both sides of the race have been met.
        for (let index = 0; index < 2000 || outcomes.inside * outcomes.refused === 0; index++) {
          if (index > 50_000) break;
          const result = await session.execute("read", { path });
          if (result.ok) {
            expect((result.output as { content: string }).content).toBe("inside\n");
            outcomes.inside += 1;
          } else if (result.error.code === "TOOL_PATH_DENIED") outcomes.refused += 1;
          else outcomes.other += 1;
        }
        // Both sides of the race were met: reads of the inside file, and refusals of the link.
        expect(outcomes.inside, `${path}: ${JSON.stringify(outcomes)}`).toBeGreaterThan(0);
        expect(outcomes.refused, `${path}: ${JSON.stringify(outcomes)}`).toBeGreaterThan(0);
      }
    } finally {
      for (const swapper of swappers) await swapper.stop();
    }
  });

  it("writes never land outside while a file or a directory is swapped for a symlink", async () => {
    await setUp(sandbox);
    const session = await agent();
    const secret = join(layout.outside, "secret.txt");
    await writeFile(join(layout.workspace, "target"), "inside\n");
    await mkdir(join(layout.workspace, "dir"));
    const swappers = [
      startSwapper({ path: join(layout.workspace, "target"), kind: "file", link: secret }),
      startSwapper({ path: join(layout.workspace, "dir"), kind: "directory", link: layout.outside }),
    ];
    let written = 0;
    try {
      for (const swapper of swappers) await swapper.swapping;
      for (let index = 0; index < 300; index++) {
        for (const path of ["target", "dir/secret.txt", "dir/new.txt", "dir/sub/new.txt"]) {
          const result = await session.execute("write", { path, content: `overwritten ${index}\n` });
          if (result.ok) written += 1;
        }
      }
    } finally {
      for (const swapper of swappers) await swapper.stop();
    }
    expect(written).toBeGreaterThan(0);
    expect(await readFile(secret, "utf8")).toBe(`${TOKEN}\n`);
    expect((await readdir(layout.outside)).sort()).toEqual(["secret.txt"]);
  });

  it("hard links: a file linked from outside is refused, and the sandbox cannot make such links", async () => {
    await setUp(sandbox);
    const session = await agent({ binaries: ["ln", "cat"] });
    // A hard link someone made on the host: the path is inside, the file is the outside secret.
    await link(join(layout.outside, "secret.txt"), join(layout.workspace, "linked.txt"));
    const read = await session.execute("read", { path: "linked.txt" });
    expect(errorCode(read)).toBe("TOOL_PATH_DENIED");
    if (!read.ok) expect(read.error.message).toContain("hard links");
    expect(errorCode(await session.execute("edit", { path: "linked.txt", oldText: "oxt", newText: "x" }))).toBe(
      "TOOL_PATH_DENIED",
    );
    const grep = okOutput<{ matches: unknown[] }>(await session.execute("grep", { pattern: "oxt_" }));
    expect(grep.matches).toEqual([]);
    // Inside the sandbox the outside files do not exist, and /usr is another (read-only) mount.
    await unlink(join(layout.workspace, "linked.txt"));
    for (const source of [join(layout.outside, "secret.txt"), "/usr/bin/env"]) {
      const made = await run(session, { binary: "ln", args: [source, "made-link"] });
      expect(made.exitCode).not.toBe(0);
    }
    await expect(stat(join(layout.workspace, "made-link"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("no network without the permission: a listener on 127.0.0.1 is unreachable", async () => {
    await setUp(sandbox);
    const listener = await listen();
    try {
      const client = [
        'const socket = require("node:net").connect(Number(process.argv[2]), "127.0.0.1");',
        'socket.on("connect", () => { console.log("CONNECTED"); socket.end(); });',
        'socket.on("error", (error) => { console.log(error.code); process.exitCode = 3; });',
      ].join("\n");
      const denied = await agent({ binaries: ["node"] });
      okOutput(await denied.execute("write", { path: "client.cjs", content: client }));
      const refused = await run(denied, { binary: "node", args: ["client.cjs", String(listener.port)] });
      expect(refused.stdout).not.toContain("CONNECTED");
      expect(refused.exitCode).toBe(3);
      expect(listener.connections()).toBe(0);
      // The same program with the permission reaches it: the test can see a connection.
      const granted = await agent({ binaries: ["node"], network: true });
      const connected = await run(granted, { binary: "node", args: ["client.cjs", String(listener.port)] });
      expect(connected.stdout).toContain("CONNECTED");
      expect(listener.connections()).toBe(1);
    } finally {
      await listener.close();
    }
  });

  // Root is exempt from RLIMIT_NPROC, and a user namespace made by a root kernel maps to root:
  // there the process limit cannot hold, which is why a root kernel's default identity is the
  // host user (the row above this identity runs the bomb). The sandbox says so when built.
  if (isRoot && identity === "user-namespace") {
    it("as root, a user-namespace sandbox cannot bound the process count, and says so when built", () => {
      const logger = createMemoryLogger("debug");
      const unbounded = new BubblewrapSandbox({ identity: "user-namespace", maxSpares: 0, logger });
      expect(unbounded.identity).toBe("user-namespace");
      expect(logger.find("warn", "does not bound the process count")).toHaveLength(1);
      expect(new BubblewrapSandbox({ maxSpares: 0 }).identity).toEqual({ uid: 65534, gid: 65534 });
    });
  } else {
    it("a fork bomb stops at the process limit and leaves nothing behind", async () => {
      const limit = 64;
      await setUp(sandbox, { processes: limit });
      const session = await agent({ binaries: ["sh", "true"] });
      const marker = `1000.${process.pid}3`;
      const bomb = [
        "n=0",
        // Bounded so a broken limit fails the test instead of exhausting the host.
        "while [ $n -lt 600 ]; do",
        `  sleep ${marker} &`,
        "  n=$((n+1)); echo $n > forks",
        "done",
      ].join("\n");
      okOutput(await session.execute("write", { path: "bomb.sh", content: `${bomb}\n` }));
      const output = await run(session, { binary: "sh", args: ["bomb.sh"] });
      const forks = Number(await readFile(join(layout.workspace, "forks"), "utf8"));
      expect(forks).toBeLessThan(limit);
      expect(output.stderr).toMatch(/fork/i);
      await waitFor(() => processesWithArgument(marker).length === 0);
      // The host is fine: the next call runs.
      expect((await run(session, { binary: "true" })).exitCode).toBe(0);
    });
  }

  it("a 2 GiB allocation fails at the address-space limit (64 MiB is fine)", async () => {
    await setUp(sandbox);
    const session = await agent({ binaries: ["python3"] });
    const script = "import sys\nblock = bytearray(int(sys.argv[1]))\nprint(len(block))\n";
    okOutput(await session.execute("write", { path: "alloc.py", content: script }));
    const limited = await run(session, { binary: "python3", args: ["alloc.py", String(2 * 1024 ** 3)] });
    expect(limited.exitCode).not.toBe(0);
    expect(limited.stderr).toContain("MemoryError");
    const small = await run(session, { binary: "python3", args: ["alloc.py", String(64 * 1024 ** 2)] });
    expect(small).toMatchObject({ exitCode: 0, stdout: `${64 * 1024 ** 2}\n` });
  });
});

describe("fail closed", () => {
  it("without bubblewrap exec refuses with EXEC_SANDBOX_UNAVAILABLE, says how to install it, and runs nothing", async () => {
    const missing = new BubblewrapSandbox({ bwrapPath: "/nonexistent/bwrap", maxSpares: 0 });
    h = await createHarness({ tools: { exec: { sandbox: missing } } });
    const result = await h.session.execute("exec", { binary: "echo", args: ["ran"] });
    expect(errorCode(result)).toBe("EXEC_SANDBOX_UNAVAILABLE");
    if (!result.ok) expect(result.error.message).toContain("apt-get install bubblewrap");
    expect(await missing.availability()).toMatchObject({ available: false });
    expect(h.logger.find("debug", "exec spawned")).toEqual([]);
    expect(h.publisher.ofType("tool.failed")[0]?.payload).toMatchObject({
      error: { code: "EXEC_SANDBOX_UNAVAILABLE" },
    });
  });
});

/**
 * A separate process — truly concurrent with the tool calls, on the other core — that keeps
 * swapping `path` for a symlink to `link` and back until it is killed: a regular file is
 * replaced atomically (rename over it); a directory is moved aside, the link put in its place,
 * then the directory moved back.
 */
function startSwapper(options: { path: string; kind: "file" | "directory"; link: string }): {
  /** Settles once the first swap is done (the process is up and swapping). */
  swapping: Promise<void>;
  stop(): Promise<void>;
} {
  const source = `
    const fs = require("node:fs");
    const [path, kind, link] = process.argv.slice(1);
    const aside = path + ".aside";
    const temp = path + ".swap";
    const swapFile = () => {
      fs.rmSync(temp, { force: true });
      fs.symlinkSync(link, temp);
      fs.renameSync(temp, path);
      fs.writeFileSync(temp, "inside\\n");
      fs.renameSync(temp, path);
    };
    const restore = () => {
      // A write may have created the directory anew while it was aside: drop that one, and
      // try again while writes keep filling it.
      while (fs.existsSync(aside)) {
        try {
          fs.rmSync(path, { recursive: true, force: true });
          fs.renameSync(aside, path);
        } catch (error) {
          if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
        }
      }
    };
    const swapDirectory = () => {
      try {
        fs.renameSync(path, aside);
        fs.symlinkSync(link, path);
        fs.unlinkSync(path);
      } catch (error) {
        // A concurrent write recreated the name in between; restore() sorts it out.
        if (error.code !== "EEXIST" && error.code !== "ENOENT") throw error;
      } finally {
        restore();
      }
    };
    const swap = kind === "file" ? swapFile : swapDirectory;
    swap();
    process.stdout.write("swapping\\n");
    for (;;) swap();
  `;
  const child = spawn(process.execPath, ["-e", source, options.path, options.kind, options.link], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const swapping = new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the swapper exited (${code}) before it started`)));
  });
  return {
    swapping,
    async stop() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

async function listen(): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count += 1;
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    connections: () => count,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
