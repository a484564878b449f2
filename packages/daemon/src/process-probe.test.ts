import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
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
});
