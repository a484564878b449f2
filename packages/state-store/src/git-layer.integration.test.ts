import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Clock, KernelError, SecretRedactor, systemClock } from "@oxios/core";
import { createMemoryLogger, ManualClock } from "@oxios/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitLayer, STATE_GITIGNORE_LINES } from "./git-layer.ts";
import { StateStore } from "./state-store.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "oxios-git-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function gitCli(...args: string[]): string {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** `git fsck --full --strict` exits 0 and reports no error, missing or broken object. */
function expectFsckClean(): void {
  const output = execFileSync("git", ["fsck", "--full", "--strict", "--no-dangling"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  expect(output).toBe("");
}

const author = { name: "Tester", email: "tester@example.com" };

describe("GitLayer", () => {
  it("initialises main with a .gitignore of temp, lock and secret files", async () => {
    const git = await GitLayer.open({ dir: root, clock: new ManualClock() });
    expect(gitCli("rev-parse", "--abbrev-ref", "HEAD").trim()).toBe("main");
    const ignore = await readFile(join(root, ".gitignore"), "utf8");
    for (const line of ["*.tmp", "*.lock", ".env", ".state-index/"]) expect(ignore.split("\n")).toContain(line);
    await writeFile(join(root, ".env"), "TOKEN=secret");
    await writeFile(join(root, "x.json.0123456789abcdef.tmp"), "{");
    await writeFile(join(root, "index.lock"), "");
    expect(gitCli("status", "--porcelain")).toBe("");
    expect(await git.commit("all", "nothing to see")).toBeUndefined();
    expect((await git.log()).map((entry) => entry.message)).toEqual(["state: initialise repository"]);
    // Reopening an initialised repository adds no commit.
    await git.close();
    const again = await GitLayer.open({ dir: root });
    expect(await again.log()).toHaveLength(1);
    await again.close();
  });

  it("a repository whose initialisation stopped before its first commit gets it at the first operation", async () => {
    // As a crash between `git init` and the first commit leaves it: HEAD names a branch with no commit.
    gitCli("init", "--quiet", "--initial-branch=main");
    await writeFile(join(root, ".gitignore"), `${STATE_GITIGNORE_LINES.join("\n")}\n`);
    const git = await GitLayer.open({ dir: root, clock: new ManualClock() });
    // Opening such a repository reads no git data and commits nothing.
    expect(() => gitCli("rev-parse", "--verify", "--quiet", "HEAD")).toThrow();
    await writeFile(join(root, "a.json"), "{}\n");
    expect(await git.commit(["a.json"], "add a", author)).toMatchObject({ staged: ["a.json"] });
    expect((await git.log()).map((entry) => entry.message)).toEqual(["add a", "state: initialise repository"]);
    expect(gitCli("status", "--porcelain")).toBe("");
    await git.close();

    // The same, when the first operation only reads.
    const other = await mkdtemp(join(tmpdir(), "oxios-git-"));
    try {
      execFileSync("git", ["init", "--quiet", "--initial-branch=main"], { cwd: other, stdio: "ignore" });
      await writeFile(join(other, ".gitignore"), `${STATE_GITIGNORE_LINES.join("\n")}\n`);
      const reader = await GitLayer.open({ dir: other });
      expect((await reader.log()).map((entry) => entry.message)).toEqual(["state: initialise repository"]);
      await reader.close();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("keeps known secrets out of saved files and the git history", async () => {
    const key = "sk-state-0123456789";
    const redactor = new SecretRedactor([{ label: "llm-api-key", value: key }]);
    const clock = new ManualClock();
    const git = await GitLayer.open({ dir: root, clock, redactor });
    const store = await StateStore.open({ root, clock, changeSink: git, redactor });
    await store.save("runs", "r1", { goal: "leak", text: `the key is ${key}`, steps: [{ output: key }] });
    await store.save("notes", "n1", `# Note\n${key}\n`, { format: "md" });
    await git.commit("all", `run r1: ${key}`);
    expect(await store.load("runs", "r1")).toEqual({
      goal: "leak",
      text: "the key is [redacted:llm-api-key]",
      steps: [{ output: "[redacted:llm-api-key]" }],
    });
    expect(await store.load("notes", "n1")).toBe("# Note\n[redacted:llm-api-key]\n");
    const history = gitCli("log", "-p", "--all", "--format=%H %s%n%b");
    expect(history).toContain("run r1: [redacted:llm-api-key]");
    expect(history).toContain("the key is [redacted:llm-api-key]");
    expect(history).not.toContain(key);
    await store.close();
    await git.close();
  });

  it("commits through the index: status is clean, deletions staged, fsck is clean", async () => {
    const clock = new ManualClock();
    const git = await GitLayer.open({ dir: root, clock });
    const store = await StateStore.open({ root, clock });
    await store.save("seeds", "a", { v: 1 });
    await store.save("seeds", "b", { v: 1 });
    await store.save("knowledge", "deep/note", "# note", { format: "md" });
    const first = await git.commit("all", "add three", author);
    expect(first?.staged.sort()).toEqual(["knowledge/deep/note.md", "seeds/a.json", "seeds/b.json"]);
    expect(gitCli("status", "--porcelain")).toBe("");

    await store.save("seeds", "a", { v: 2 });
    await store.delete("seeds", "b");
    const second = await git.commit(["seeds/a.json", "seeds/b.json"], "edit a, drop b", author);
    expect(second).toMatchObject({ staged: ["seeds/a.json"], removed: ["seeds/b.json"] });
    expect(gitCli("status", "--porcelain")).toBe("");

    // A directory path stages everything under it, deletions included.
    await store.delete("knowledge", "deep/note");
    await store.save("knowledge", "deep/other", "other", { format: "md" });
    const third = await git.commit(["knowledge"], "directory commit", author);
    expect(third).toMatchObject({ staged: ["knowledge/deep/other.md"], removed: ["knowledge/deep/note.md"] });
    expect(gitCli("status", "--porcelain")).toBe("");

    // Unchanged content makes no commit.
    await store.save("seeds", "a", { v: 2 });
    expect(await git.commit(["seeds/a.json"], "no-op", author)).toBeUndefined();

    // Repeated commits over rewritten files keep the index in step with HEAD.
    for (let index = 0; index < 4; index++) {
      await store.save("sessions", `s${index % 3}`, { index });
      clock.advance(1000);
      await git.commit("all", `round ${index}`, author);
    }
    expect(gitCli("status", "--porcelain")).toBe("");
    expectFsckClean();
    const log = await git.log();
    expect(log[0]?.message).toBe("round 3");
    expect(log[0]?.author).toMatchObject({ name: "Tester", email: "tester@example.com" });
    expect(gitCli("log", "--format=%s", "-n", "2").trim().split("\n")).toEqual(["round 3", "round 2"]);
    expect(await git.verify()).toMatchObject({ ok: true, problems: [] });
    await store.close();
    await git.close();
  });

  it("diff, fileAtCommit and restoreFile return what each commit held", async () => {
    const git = await GitLayer.open({ dir: root, clock: new ManualClock() });
    const store = await StateStore.open({ root });
    await store.save("c", "keep", { v: 1 });
    await store.save("c", "edit", { v: 1 });
    await store.save("c", "drop", { v: 1 });
    const one = await git.commit("all", "one", author);
    await store.save("c", "edit", { v: 2 });
    await store.delete("c", "drop");
    await store.save("c", "new", { v: 1 });
    const two = await git.commit("all", "two", author);
    if (one === undefined || two === undefined) throw new Error("expected two commits");

    expect(await git.diff(one.oid, two.oid)).toEqual([
      { path: "c/drop.json", change: "deleted" },
      { path: "c/edit.json", change: "modified" },
      { path: "c/new.json", change: "added" },
    ]);
    expect(await git.diff(two.oid, two.oid)).toEqual([]);
    const decode = (bytes: Uint8Array | undefined) =>
      bytes === undefined ? undefined : JSON.parse(Buffer.from(bytes).toString());
    expect(decode(await git.fileAtCommit("c/edit.json", one.oid))).toEqual({ v: 1 });
    expect(decode(await git.fileAtCommit("c/edit.json", "HEAD"))).toEqual({ v: 2 });
    expect(await git.fileAtCommit("c/new.json", one.oid)).toBeUndefined();

    await git.restoreFile("c/edit.json", one.oid);
    await git.restoreFile("c/drop.json", one.oid);
    expect(await store.load("c", "edit")).toEqual({ v: 1 });
    expect(await store.load("c", "drop")).toEqual({ v: 1 });
    expect(gitCli("status", "--porcelain").trim().split("\n").sort()).toEqual(["?? c/drop.json", "M c/edit.json"]);
    const error = await git.restoreFile("c/new.json", one.oid).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(KernelError.hasCode(error, "GIT_NOT_FOUND")).toBe(true);
    const three = await git.commit("all", "restore", author);
    expect(three?.staged.sort()).toEqual(["c/drop.json", "c/edit.json"]);
    expect(gitCli("status", "--porcelain")).toBe("");

    await git.tag("v1", one.oid);
    expect(await git.listTags()).toEqual(["v1"]);
    expect(gitCli("rev-parse", "v1").trim()).toBe(one.oid);
    expect(
      await git.tag("v1").then(
        () => undefined,
        (reason: unknown) => reason,
      ),
    ).toMatchObject({
      code: "GIT_ALREADY_EXISTS",
    });
    expectFsckClean();
    await store.close();
    await git.close();
  });

  it("rejects paths outside the working tree", async () => {
    const git = await GitLayer.open({ dir: root });
    for (const path of ["../x", "/etc/passwd", ".git/config", "a//b", "a\\b"]) {
      expect(
        await git.commit([path], "bad").then(
          () => undefined,
          (reason: unknown) => reason,
        ),
      ).toMatchObject({
        code: "GIT_PATH_INVALID",
      });
    }
    await git.close();
  });

  it("verify() reports a damaged object", async () => {
    const git = await GitLayer.open({ dir: root });
    await writeFile(join(root, "a.json"), "{}\n");
    const commit = await git.commit("all", "a", author);
    expect(await git.verify()).toMatchObject({ ok: true });
    const blob = gitCli("rev-parse", `${commit?.oid}:a.json`).trim();
    const objectPath = join(root, ".git", "objects", blob.slice(0, 2), blob.slice(2));
    execFileSync("chmod", ["u+w", objectPath]);
    await unlink(objectPath);
    const result = await git.verify();
    expect(result.ok).toBe(false);
    expect(result.problems.join("\n")).toContain(blob);
    await git.close();
  });
});

describe("auto-commit", () => {
  it("batches changed paths: at most one commit per interval, on the clock", async () => {
    const clock = new ManualClock(0);
    const git = await GitLayer.open({ dir: root, clock, autoCommit: { intervalMs: 1000 } });
    const store = await StateStore.open({ root, clock, changeSink: git });
    await store.save("seeds", "a", { v: 1 });
    await store.save("seeds", "b", { v: 1 });
    expect(await git.log()).toHaveLength(1);
    await clock.advanceAsync(999);
    expect(await git.log()).toHaveLength(1);
    await clock.advanceAsync(1);
    await git.flush();
    const log = await git.log();
    expect(log).toHaveLength(2);
    expect(log[0]?.message).toContain("state: update 2 files");
    expect(gitCli("status", "--porcelain")).toBe("");

    // Changes right after a commit wait for the next window.
    await store.save("seeds", "a", { v: 2 });
    await store.delete("seeds", "b");
    await clock.advanceAsync(500);
    expect(await git.log()).toHaveLength(2);
    await clock.advanceAsync(500);
    const report = await git.flush();
    expect(report.errors).toEqual([]);
    expect(await git.log()).toHaveLength(3);
    expect(gitCli("status", "--porcelain")).toBe("");

    // flush() commits what is queued without waiting for the clock.
    await store.save("seeds", "c", { v: 1 });
    const flushed = await git.flush();
    expect(flushed.commits).toHaveLength(1);
    expect(await git.fileAtCommit("seeds/c.json", "HEAD")).toBeDefined();
    expectFsckClean();
    await store.close();
    await git.close();
  });

  it("the auto-commit a state write schedules takes git.commit in the flow that held state.key", async () => {
    // As in the kernel, on a real-time clock: the commit's timer is set inside the write's
    // `state.key` lock (rank 200), so the commit takes `git.commit` (rank 300) in that flow.
    let fired: () => void = () => undefined;
    const timerFired = new Promise<void>((resolve) => {
      fired = resolve;
    });
    const clock: Clock = {
      now: () => systemClock.now(),
      sleep: (ms, signal) => systemClock.sleep(ms, signal),
      setTimer: (callback, ms) =>
        systemClock.setTimer(() => {
          callback();
          fired();
        }, ms),
    };
    const git = await GitLayer.open({ dir: root, clock, autoCommit: { intervalMs: 1 } });
    const store = await StateStore.open({ root, clock, changeSink: git });
    await store.save("seeds", "a", { v: 1 });
    await timerFired;
    const report = await git.flush();
    expect(report.errors).toEqual([]);
    expect(report.commits).toHaveLength(1);
    expect(await git.fileAtCommit("seeds/a.json", "HEAD")).toBeDefined();
    await store.close();
    await git.close();
  });

  it("a failed auto-commit is logged, reported to onError and by flush, and retried", async () => {
    const clock = new ManualClock(0);
    const logger = createMemoryLogger();
    const failures: unknown[] = [];
    const git = await GitLayer.open({
      dir: root,
      clock,
      logger,
      autoCommit: { intervalMs: 100, onError: (error) => failures.push(error) },
    });
    const store = await StateStore.open({ root, clock, changeSink: git });
    await store.save("seeds", "a", { v: 1 });
    // Objects cannot be written: a read-only object store (root ignores permission bits,
    // so it gets the immutable attribute instead).
    const objects = join(root, ".git", "objects");
    const asRoot = process.getuid?.() === 0;
    execFileSync(asRoot ? "chattr" : "chmod", asRoot ? ["-R", "+i", objects] : ["-R", "a-w", objects]);
    try {
      // The timed attempt fails, then flush's own attempt fails: both are reported.
      await clock.advanceAsync(100);
      const report = await git.flush();
      expect(report.errors.map((entry) => entry.paths)).toEqual([["seeds/a.json"], ["seeds/a.json"]]);
      expect(KernelError.hasCode(report.errors[0]?.error, "GIT_FAILED")).toBe(true);
      expect(failures).toHaveLength(2);
      expect(logger.find("error", "auto-commit failed")).toHaveLength(2);
      expect(gitCli("log", "--format=%s")).not.toContain("update");
    } finally {
      execFileSync(asRoot ? "chattr" : "chmod", asRoot ? ["-R", "-i", objects] : ["-R", "u+w", objects]);
    }
    const retried = await git.flush();
    expect(retried).toMatchObject({ errors: [] });
    expect(retried.commits).toHaveLength(1);
    expect(gitCli("status", "--porcelain")).toBe("");
    await store.close();
    await git.close();
  });
});
