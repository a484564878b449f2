import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BubblewrapSandbox } from "./sandbox/bubblewrap-sandbox.ts";
import { createHarness, type Harness, okOutput } from "./test-harness.ts";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

// A root kernel runs its sandboxed programs as an unprivileged host user, and creates its own
// files under umask 077: a file the `write` tool made must still be the agent's to use.
describe.runIf(isRoot)("a root kernel's workspace belongs to the sandbox user from the start", () => {
  let harness: Harness | undefined;
  let sandbox: BubblewrapSandbox | undefined;
  let previousUmask: number | undefined;

  afterEach(async () => {
    if (previousUmask !== undefined) process.umask(previousUmask);
    await sandbox?.close();
    await harness?.cleanup();
  });

  it("under umask 077, the agent's programs read and change what the file tools wrote", async () => {
    previousUmask = process.umask(0o077);
    sandbox = new BubblewrapSandbox({ maxSpares: 0 });
    const owner = sandbox.workspaceOwner;
    expect(owner).toEqual({ uid: 65534, gid: 65534 });
    harness = await createHarness({
      tools: { exec: { sandbox } },
      ...(owner === undefined ? {} : { workspaceOwner: owner }),
    });
    expect(await stat(harness.workspace)).toMatchObject({ uid: 65534, gid: 65534 });

    okOutput(await harness.session.execute("write", { path: "notes/a.txt", content: "hello\n" }));
    const written = await stat(join(harness.workspace, "notes", "a.txt"));
    expect({ uid: written.uid, mode: written.mode & 0o777 }).toEqual({ uid: 65534, mode: 0o600 });

    const read = okOutput<{ exitCode: number; stdout: string }>(
      await harness.session.execute("exec", { binary: "cat", args: ["notes/a.txt"] }),
    );
    expect(read).toMatchObject({ exitCode: 0, stdout: "hello\n" });
    const copied = okOutput<{ exitCode: number }>(
      await harness.session.execute("exec", { binary: "sort", args: ["-o", "notes/b.txt", "notes/a.txt"] }),
    );
    expect(copied.exitCode).toBe(0);
  });

  it("a workspace that was already there, owned by the kernel's user, is given to the sandbox user too", async () => {
    sandbox = new BubblewrapSandbox({ maxSpares: 0 });
    const owner = sandbox.workspaceOwner;
    harness = await createHarness({ ...(owner === undefined ? {} : { workspaceOwner: owner }) });
    const existing = join(harness.root, "existing");
    await mkdir(existing);
    expect(await stat(existing)).toMatchObject({ uid: 0 });
    await harness.sessionFor({ agentId: "agent-2", workspaceDir: existing });
    expect(await stat(existing)).toMatchObject({ uid: 65534, gid: 65534 });
  });

  it("a workspace made by an agent's first write belongs to the sandbox user", async () => {
    sandbox = new BubblewrapSandbox({ maxSpares: 0 });
    const owner = sandbox.workspaceOwner;
    harness = await createHarness({ ...(owner === undefined ? {} : { workspaceOwner: owner }) });
    const fresh = join(harness.root, "agents", "fresh");
    const session = await harness.sessionFor({ agentId: "fresh", workspaceDir: fresh });
    okOutput(await session.execute("write", { path: "a.txt", content: "x" }));
    expect(await stat(fresh)).toMatchObject({ uid: 65534, gid: 65534 });
  });
});
