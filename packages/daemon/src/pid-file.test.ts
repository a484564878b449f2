import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { KernelError } from "@oxios/core";
import { createMemoryLogger } from "@oxios/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  acquirePidFile,
  inspectPidFile,
  type PidFile,
  parsePidRecord,
  pidFilePath,
  removeStalePidFile,
} from "./pid-file.ts";
import { ownStartTicks } from "./process-probe.ts";

let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "oxios-pid-"));
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid as number;
  await new Promise((resolve) => child.once("exit", resolve));
  return pid;
}

async function writeRecord(record: Record<string, unknown>): Promise<void> {
  await writeFile(pidFilePath(home), `${JSON.stringify(record)}\n`);
}

describe("pid file", () => {
  it("is created exclusively with pid, start time, host, token and /proc start ticks", async () => {
    const pidFile = await acquirePidFile({ home });
    const record = parsePidRecord(await readFile(pidFilePath(home), "utf8"));
    expect(record).toEqual(pidFile.record);
    expect(record?.pid).toBe(process.pid);
    expect(record?.hostname).toBe(hostname());
    expect(record?.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(record?.processStart).toBe(await ownStartTicks());
    expect(await inspectPidFile(home)).toEqual({ state: "running", record });
    expect(await readdir(home)).toEqual(["oxios.pid"]);
    expect(await pidFile.release()).toBe(true);
    expect(await inspectPidFile(home)).toEqual({ state: "absent" });
  });

  it("refuses a second owner while the first lives, naming its pid", async () => {
    const first = await acquirePidFile({ home });
    const error = await acquirePidFile({ home }).catch((caught: unknown) => caught);
    expect(KernelError.hasCode(error, "DAEMON_ALREADY_RUNNING")).toBe(true);
    expect((error as KernelError).message).toContain(`pid ${process.pid}`);
    expect((error as KernelError).details?.pid).toBe(process.pid);
    expect(parsePidRecord(await readFile(pidFilePath(home), "utf8"))?.token).toBe(first.record.token);
    expect(await readdir(home)).toEqual(["oxios.pid"]);
    await first.release();
  });

  it.each([
    ["a dead pid", async () => ({ pid: await deadPid() }), "is not running"],
    ["a reused pid (different start ticks)", async () => ({ pid: process.pid, processStart: "1" }), "another process"],
    ["another host", async () => ({ pid: process.pid, hostname: "elsewhere.invalid" }), "host elsewhere.invalid"],
  ])("treats %s as stale and recovers it", async (_name, makeFields, reason) => {
    const logger = createMemoryLogger();
    await writeRecord({ startedAt: 0, hostname: hostname(), token: "old", ...(await makeFields()) });
    const seen = await inspectPidFile(home);
    expect(seen.state).toBe("stale");
    expect(seen.state === "stale" && seen.reason).toContain(reason);
    const pidFile = await acquirePidFile({ home, logger });
    expect(pidFile.record.pid).toBe(process.pid);
    expect(logger.find("warn", "recovered a stale pid file")).toHaveLength(1);
    expect((await inspectPidFile(home)).state).toBe("running");
    await pidFile.release();
  });

  it("treats an unparsable file as stale and recovers it", async () => {
    await writeFile(pidFilePath(home), "12");
    expect(await inspectPidFile(home)).toMatchObject({ state: "stale", reason: "the pid file is not a valid record" });
    const pidFile = await acquirePidFile({ home });
    expect((await inspectPidFile(home)).state).toBe("running");
    await pidFile.release();
  });

  it("a stale file replaced after it was judged is left alone: it is read again before the unlink", async () => {
    await writeRecord({ pid: await deadPid(), startedAt: 0, hostname: hostname(), token: "stale" });
    const seen = await inspectPidFile(home);
    expect(seen.state).toBe("stale");
    // Another starter recovers the stale file and takes the home before this one acts on its verdict.
    const winner = await acquirePidFile({ home });
    expect(await removeStalePidFile(home, seen as Extract<typeof seen, { state: "stale" }>)).toBe(false);
    expect(parsePidRecord(await readFile(pidFilePath(home), "utf8"))?.token).toBe(winner.record.token);
    expect(await readdir(home)).toEqual(["oxios.pid"]);
    await winner.release();
  });

  it("one winner when many starters race over one stale file (stress)", async () => {
    for (let round = 0; round < 10; round++) {
      await writeRecord({ pid: await deadPid(), startedAt: 0, hostname: hostname(), token: `stale-${round}` });
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => acquirePidFile({ home })));
      const winners = outcomes.filter((outcome) => outcome.status === "fulfilled");
      const losers = outcomes.filter((outcome) => outcome.status === "rejected");
      expect(winners).toHaveLength(1);
      for (const loser of losers) expect(loser.reason).toMatchObject({ code: "DAEMON_ALREADY_RUNNING" });
      const winner = (winners[0] as PromiseFulfilledResult<PidFile>).value;
      expect(parsePidRecord(await readFile(pidFilePath(home), "utf8"))?.token).toBe(winner.record.token);
      expect(await readdir(home)).toEqual(["oxios.pid"]);
      await winner.release();
    }
  });

  it("update adds the URL atomically; release leaves a file it no longer owns", async () => {
    const logger = createMemoryLogger();
    const pidFile = await acquirePidFile({ home, logger });
    await pidFile.update({ url: "http://127.0.0.1:4200" });
    const seen = await inspectPidFile(home);
    expect(seen.state === "running" && seen.record.url).toBe("http://127.0.0.1:4200");
    await writeRecord({ ...pidFile.record, token: "someone-else" });
    await expect(pidFile.update({ url: "http://x" })).rejects.toMatchObject({ code: "DAEMON_PID_FILE_FAILED" });
    expect(await pidFile.release()).toBe(false);
    expect(logger.find("warn", "belongs to another process")).toHaveLength(1);
    expect(parsePidRecord(await readFile(pidFilePath(home), "utf8"))?.token).toBe("someone-else");
    expect(await pidFile.release()).toBe(false);
  });

  it("rejects malformed records", () => {
    expect(parsePidRecord("{}")).toBeUndefined();
    expect(parsePidRecord("null")).toBeUndefined();
    expect(parsePidRecord('{"pid":-1,"startedAt":0,"hostname":"h","token":"t"}')).toBeUndefined();
    expect(parsePidRecord('{"pid":5,"startedAt":0,"hostname":"h","token":""}')).toBeUndefined();
    expect(parsePidRecord('{"pid":5,"startedAt":0,"hostname":"h","token":"t","url":3}')).toBeUndefined();
    expect(parsePidRecord('{"pid":5,"startedAt":0,"hostname":"h","token":"t"}')).toEqual({
      pid: 5,
      startedAt: 0,
      hostname: "h",
      token: "t",
    });
  });

  it("a release that fails leaves the holder releasable: the next call removes the file", async () => {
    const pidFile = await acquirePidFile({ home });
    const path = pidFilePath(home);
    const text = await readFile(path, "utf8");
    // A directory where the file was: reading it fails (EISDIR), as any platform error would.
    await rm(path);
    await mkdir(path);
    await expect(pidFile.release()).rejects.toMatchObject({ code: "DAEMON_PID_FILE_FAILED" });
    await rm(path, { recursive: true });
    await writeFile(path, text);
    expect(await pidFile.release()).toBe(true);
    expect(await inspectPidFile(home)).toEqual({ state: "absent" });
    expect(await pidFile.release()).toBe(false);
  });

  it("concurrent releases share one removal", async () => {
    const pidFile = await acquirePidFile({ home });
    expect(await Promise.all([pidFile.release(), pidFile.release()])).toEqual([true, true]);
    expect(await inspectPidFile(home)).toEqual({ state: "absent" });
    expect(await pidFile.release()).toBe(false);
  });

  it("translates file system failures into DAEMON_PID_FILE_FAILED", async () => {
    const file = join(home, "not-a-directory");
    await writeFile(file, "");
    await expect(acquirePidFile({ home: join(file, "home") })).rejects.toMatchObject({
      code: "DAEMON_PID_FILE_FAILED",
    });
  });
});
