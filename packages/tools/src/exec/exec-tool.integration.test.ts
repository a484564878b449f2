// exec's process handling, run once through the bubblewrap sandbox (the default) and once
// through the explicit `Unsandboxed` adapter: the same contract holds for both.
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { copyFile, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { settle } from "@oxios/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { Unsandboxed } from "../sandbox/unsandboxed.ts";
import {
  createHarness,
  errorCode,
  groupGone,
  type Harness,
  liveGroupMembers,
  okOutput,
  processesWithArgument,
  waitFor,
} from "../test-harness.ts";
import type { ExecOutput, ExecToolOptions } from "./exec-tool.ts";
import { groupAlive } from "./run-process.ts";

const fixtures = fileURLToPath(new URL("../__fixtures__/", import.meta.url));
const binaries = ["echo", "env", "pwd", "sleep", "node", "yes", "cat"];

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

/** A fixture script copied into the workspace (a sandbox sees nothing else of the host). */
async function fixture(harness: Harness, name: string): Promise<string> {
  const path = join(harness.workspace, name);
  await copyFile(join(fixtures, name), path);
  return path;
}

const adapters: Array<{ name: string; sandboxed: boolean; exec: () => ExecToolOptions }> = [
  { name: "bubblewrap", sandboxed: true, exec: () => ({}) },
  { name: "unsandboxed", sandboxed: false, exec: () => ({ sandbox: new Unsandboxed() }) },
];

describe.each(adapters)("exec through $name", ({ sandboxed, exec }) => {
  async function execHarness(): Promise<Harness> {
    return createHarness({
      agent: { permissions: { exec: { binaries } } },
      tools: { exec: { killGraceMs: 300, ...exec() } },
    });
  }

  /** The pid the exec tool logged for the call (the process group id: exec runs detached). */
  function spawnedPids(harness: Harness): number[] {
    return harness.logger.find("debug", "exec spawned").map((record) => record.fields.pid as number);
  }

  /**
   * Processes orphaned by a dying leader are reparented to PID 1 and stay zombies until it reaps
   * them — on some machines that takes over a second. They are dead (no code runs), so for the
   * orphan cases "gone" means no live member; direct children are checked with ESRCH itself.
   */
  function noLiveMember(pgid: number): boolean {
    return groupGone(pgid) || liveGroupMembers(pgid).length === 0;
  }

  describe("exec: structured mode", () => {
    it("runs in the agent workspace and returns exit code, signal, output and duration", async () => {
      h = await execHarness();
      const pwd = okOutput<ExecOutput>(await h.session.execute("exec", { binary: "pwd" }));
      expect(pwd).toMatchObject({ exitCode: 0, signal: null, stdout: `${h.workspace}\n`, timedOut: false });
      expect(typeof pwd.durationMs).toBe("number");
      const failing = okOutput<ExecOutput>(await h.session.execute("exec", { binary: "cat", args: ["missing-file"] }));
      expect(failing.exitCode).toBe(1);
      expect(failing.stderr).toContain("missing-file");
    });

    it("a fresh agent's first call is a program: its workspace is made first and the program runs there", async () => {
      h = await execHarness();
      const workspaceDir = join(h.root, "agents", "fresh");
      const session = await h.registry.session({ agentId: "fresh", workspaceDir, permissions: { exec: { binaries } } });
      expect(existsSync(workspaceDir)).toBe(false);
      const pwd = okOutput<ExecOutput>(await session.execute("exec", { binary: "pwd" }));
      expect(pwd).toMatchObject({ exitCode: 0, stdout: `${workspaceDir}\n` });
    });

    it("refuses to run a program in a workspace that became a symlink after its session resolved it", async () => {
      h = await execHarness();
      const workspaceDir = join(h.root, "agents", "fresh");
      const session = await h.registry.session({ agentId: "fresh", workspaceDir, permissions: { exec: { binaries } } });
      const outside = join(h.root, "outside");
      mkdirSync(outside);
      symlinkSync(outside, workspaceDir);
      expect(errorCode(await session.execute("exec", { binary: "pwd" }))).toBe("TOOL_PATH_DENIED");
      expect(spawnedPids(h)).toEqual([]);
    });

    it("scrubs the environment to HOME USER LOGNAME PATH LANG plus TERM=dumb", async () => {
      h = await execHarness();
      process.env.OXIOS_TEST_SECRET = "hunter2";
      try {
        const output = okOutput<ExecOutput>(await h.session.execute("exec", { binary: "env" }));
        const names = output.stdout
          .trim()
          .split("\n")
          .map((line) => line.slice(0, line.indexOf("=")));
        expect(output.stdout).not.toContain("hunter2");
        const passed = ["USER", "LOGNAME", "LANG"].filter((name) => process.env[name] !== undefined);
        // The sandbox sets its own PATH and HOME (the host's are not visible inside); bwrap adds PWD.
        const expected = sandboxed
          ? ["TERM", "HOME", "PATH", "PWD", ...passed]
          : ["TERM", ...passed, ...["HOME", "PATH"].filter((name) => process.env[name] !== undefined)];
        expect(new Set(names)).toEqual(new Set(expected));
        expect(output.stdout).toContain("TERM=dumb");
        if (sandboxed) expect(output.stdout).toContain(`HOME=${h.workspace}\n`);
      } finally {
        delete process.env.OXIOS_TEST_SECRET;
      }
    });

    const metacharacters = ["|", "&", ";", "$", "`", "<", ">", "(", ")", "{", "}", "\n", "\r", "\0"];
    for (const character of metacharacters) {
      it(`refuses an argument containing ${JSON.stringify(character)} with TOOL_EXEC_DENIED`, async () => {
        h = await execHarness();
        const result = await h.session.execute("exec", { binary: "echo", args: ["ok", `a${character}b`] });
        expect(errorCode(result)).toBe("TOOL_EXEC_DENIED");
        expect(h.audit.entries.at(-1)?.details).toMatchObject({ decision: "deny", code: "TOOL_EXEC_DENIED" });
        expect(spawnedPids(h)).toEqual([]);
      });
    }

    it("refuses '..' segments, a path instead of a bare binary, and binaries off the allowlist", async () => {
      h = await execHarness();
      expect(errorCode(await h.session.execute("exec", { binary: "cat", args: ["../x"] }))).toBe("TOOL_EXEC_DENIED");
      expect(errorCode(await h.session.execute("exec", { binary: "/bin/echo", args: ["x"] }))).toBe("TOOL_EXEC_DENIED");
      expect(errorCode(await h.session.execute("exec", { binary: "bash", args: ["-c", "id"] }))).toBe(
        "TOOL_EXEC_DENIED",
      );
      const reasons = h.audit.entries.map((entry) => String(entry.details.reason));
      expect(reasons[2]).toContain("not on the exec allowlist");
      expect(spawnedPids(h)).toEqual([]);
    });

    it("reports an allowlisted binary missing from PATH as TOOL_EXEC_FAILED", async () => {
      h = await createHarness({
        agent: { permissions: { exec: { binaries: ["no-such-binary-oxios"] } } },
        tools: { exec: exec() },
      });
      expect(errorCode(await h.session.execute("exec", { binary: "no-such-binary-oxios" }))).toBe("TOOL_EXEC_FAILED");
    });

    it("clamps the timeout: a timeout kills a sleep 1000 group (ManualClock)", async () => {
      h = await execHarness();
      const call = h.session.execute("exec", { binary: "sleep", args: ["1000"], timeoutSeconds: 0.001 });
      await waitFor(() => spawnedPids(h).length === 1 && h.clock.pendingTimers > 0);
      const [pgid] = spawnedPids(h);
      expect(groupAlive(pgid as number)).toBe(true);
      await h.clock.advanceAsync(999);
      expect(groupAlive(pgid as number)).toBe(true);
      await h.clock.advanceAsync(1); // clamped up to the 1 s minimum
      const output = okOutput<ExecOutput>(await call);
      expect(output).toMatchObject({ timedOut: true, stoppedBy: "timeout", exitCode: null, signal: "SIGTERM" });
      await waitFor(() => groupGone(pgid as number));
    });

    it("kills a binary that never exits (ignores SIGTERM) once the timeout fires", async () => {
      h = await execHarness();
      const script = await fixture(h, "stubborn.mjs");
      const call = h.session.execute("exec", { binary: "node", args: [script], timeoutSeconds: 5 });
      await waitFor(async () => (await stat(join(h.workspace, "stubborn.ready")).catch(() => undefined)) !== undefined);
      const [pgid] = spawnedPids(h);
      expect(processesWithArgument(script)).toHaveLength(1);
      await h.clock.advanceAsync(5000);
      expect(h.logger.find("debug", "terminating process group")).toHaveLength(1);
      if (sandboxed) {
        // SIGTERM ends bubblewrap's monitor; its pid 1 inside dies with it (--die-with-parent),
        // and with pid 1 the whole pid namespace: the program is killed whatever it ignores.
        const output = okOutput<ExecOutput>(await call);
        expect(output).toMatchObject({ timedOut: true, signal: "SIGTERM" });
        await waitFor(() => processesWithArgument(script).length === 0);
      } else {
        await waitFor(
          async () => (await stat(join(h.workspace, "stubborn.term")).catch(() => undefined)) !== undefined,
        );
        expect(groupAlive(pgid as number)).toBe(true); // SIGTERM received and ignored
        await h.clock.advanceAsync(300);
        const output = okOutput<ExecOutput>(await call);
        expect(output).toMatchObject({ timedOut: true, signal: "SIGKILL" });
        expect(h.logger.find("warn", "ignored SIGTERM")).toHaveLength(1);
      }
      await waitFor(() => groupGone(pgid as number));
    });

    it("caps a flood of output, flags truncation and stops the flooding group", async () => {
      h = await createHarness({
        agent: { permissions: { exec: { binaries } } },
        tools: { exec: { maxOutputBytes: 64 * 1024 } },
      });
      const result = await h.session.execute("exec", { binary: "yes", args: ["flood"] });
      const output = okOutput<ExecOutput>(result);
      expect(result.ok && result.truncated).toBe(true);
      expect(output.stdoutTruncated).toBe(true);
      expect(output.stoppedBy).toBe("output-limit");
      expect(Buffer.byteLength(output.stdout)).toBe(64 * 1024);
      expect(h.publisher.ofType("tool.completed")[0]?.payload.truncated).toBe(true);
      await waitFor(() => groupGone(spawnedPids(h)[0] as number));
    });

    it("terminates what the leader leaves running when it exits", async () => {
      h = await execHarness();
      const marker = `1000.${process.pid}${Date.now() % 100000}`;
      const script = await fixture(h, "leave-child.mjs");
      okOutput(await h.session.execute("exec", { binary: "node", args: [script, marker] }));
      const pgid = spawnedPids(h)[0] as number;
      if (!sandboxed) {
        const grandchild = Number(await readFile(join(h.workspace, "grandchild.pid"), "utf8"));
        await waitFor(() => noLiveMember(pgid));
        expect(liveGroupMembers(pgid)).not.toContain(grandchild);
      }
      await waitFor(() => processesWithArgument(marker).length === 0);
    });
  });

  describe("exec: abort", () => {
    it("abort mid-execution settles ABORTED and the process group is gone (the sleep would last 1,000 s)", async () => {
      h = await execHarness();
      const controller = new AbortController();
      const call = h.session.execute("exec", { binary: "sleep", args: ["1000"] }, { signal: controller.signal });
      await waitFor(() => spawnedPids(h).length === 1);
      const [pgid] = spawnedPids(h);
      expect(groupAlive(pgid as number)).toBe(true);
      controller.abort();
      expect(errorCode(await call)).toBe("ABORTED");
      await waitFor(() => groupGone(pgid as number));
      expect(() => process.kill(-(pgid as number), 0)).toThrowError(expect.objectContaining({ code: "ESRCH" }));
    });

    it("a session (agent run) signal reaches exec: killing the run kills the child group", async () => {
      h = await execHarness();
      const run = new AbortController();
      const session = await h.registry.session(
        { agentId: "agent-9", workspaceDir: h.workspace, permissions: { exec: { binaries } } },
        { signal: run.signal },
      );
      const call = session.execute("exec", { binary: "sleep", args: ["1000"] });
      await waitFor(() => spawnedPids(h).length === 1);
      run.abort();
      expect(errorCode(await call)).toBe("ABORTED");
      await waitFor(() => groupGone(spawnedPids(h)[0] as number));
    });

    it("shell mode for an admin (no approval needed): abort kills the whole pipeline group", async () => {
      h = await createHarness({
        agent: { role: "admin", permissions: { exec: { shell: true } } },
        tools: { exec: exec() },
      });
      const controller = new AbortController();
      const call = h.session.execute(
        "exec",
        { mode: "shell", command: "sleep 1000 | cat" },
        { signal: controller.signal },
      );
      await waitFor(() => spawnedPids(h).length === 1);
      await settle();
      controller.abort();
      expect(errorCode(await call)).toBe("ABORTED");
      await waitFor(() => noLiveMember(spawnedPids(h)[0] as number));
    });
  });
});
