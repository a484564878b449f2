import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { describe, expect, it, vi } from "vitest";
import { ownStartTicks, parseProcStat, probeProcess } from "./process-probe.ts";

describe("process probe", () => {
  it("parses /proc stat lines whose command name holds spaces and parentheses", () => {
    const fields = Array.from({ length: 50 }, (_, index) => String(index + 3));
    fields[0] = "S";
    fields[2] = "4242";
    fields[19] = "987654";
    expect(parseProcStat(`4242 (my (odd) daemon) ${fields.join(" ")}`)).toEqual({
      state: "S",
      processGroup: 4242,
      startTicks: "987654",
    });
    expect(parseProcStat("garbage")).toBeUndefined();
    expect(parseProcStat("1 (x) S 0")).toBeUndefined();
  });

  it("sees this process alive with its own start ticks, and an exited child as gone", async () => {
    const self = await probeProcess(process.pid);
    expect(self.alive).toBe(true);
    expect(self.startTicks).toBe(await ownStartTicks());
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    const pid = child.pid as number;
    await new Promise((resolve) => child.once("exit", resolve));
    expect((await probeProcess(pid)).alive).toBe(false);
    expect((await probeProcess(0)).alive).toBe(false);
    expect((await probeProcess(-5)).alive).toBe(false);
  });

  it("sees a zombie (exited, not yet reaped by its parent) as not alive", async () => {
    // The shell starts a child, then becomes `sleep`, which never reaps it: once the child is
    // killed it stays a zombie until the parent goes.
    const parent = spawn("sh", ["-c", "sleep 60 & echo $!; exec sleep 60"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const child = Number(
        await new Promise<string>((resolve) =>
          parent.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString())),
        ),
      );
      await vi.waitFor(async () => expect((await readFile(`/proc/${parent.pid}/comm`, "utf8")).trim()).toBe("sleep"), {
        timeout: 10_000,
      });
      expect((await probeProcess(child)).alive).toBe(true);
      process.kill(child, "SIGKILL");
      await vi.waitFor(
        async () => expect(parseProcStat(await readFile(`/proc/${child}/stat`, "utf8"))?.state).toBe("Z"),
        {
          timeout: 10_000,
        },
      );
      const probe = await probeProcess(child);
      expect(probe.alive).toBe(false);
      // Its pid is still taken: only the /proc state tells it from a live process.
      expect(probe.startTicks).toBeDefined();
    } finally {
      parent.kill("SIGKILL");
      await new Promise((resolve) => parent.once("exit", resolve));
    }
  });
});
