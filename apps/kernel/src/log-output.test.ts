import { stripVTControlCharacters } from "node:util";
import { KernelError } from "@oxios/core";
import { describe, expect, it } from "vitest";
import { createLogOutput } from "./log-output.ts";

function collector() {
  const lines: string[] = [];
  return { lines, write: (text: string) => lines.push(...text.split("\n").filter((line) => line !== "")) };
}

describe("the kernel's log output", () => {
  it("writes one JSON object per record off a terminal: time, level, message, the fields, errors without stacks", async () => {
    const out = collector();
    const logger = await createLogOutput({ pretty: false, destination: out, fields: { component: "kernel" } });
    logger.child({ step: "drain scheduler" }).info("shutdown step done", { ms: 12 });
    logger.warn("store failed", { error: new KernelError("DATABASE_BUSY", "busy") });
    logger.debug("not at info");
    expect(out.lines).toHaveLength(2);
    const [first, second] = out.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: "info",
      component: "kernel",
      step: "drain scheduler",
      ms: 12,
      message: "shutdown step done",
    });
    expect(second).toMatchObject({ level: "warn", error: { code: "DATABASE_BUSY", message: "busy" } });
    expect(JSON.stringify(second)).not.toContain("stack");
  });

  it("writes one coloured line per record on a terminal: time, level, message, then the fields", async () => {
    const out = collector();
    const logger = await createLogOutput({ pretty: true, destination: out, fields: { component: "kernel" } });
    logger.info("kernel ready", { url: "http://127.0.0.1:4200", pid: 42 });
    logger.error("boot failed", { code: "CONFIG_INVALID" });
    expect(out.lines).toHaveLength(2);
    const plain = out.lines.map((line) => stripVTControlCharacters(line));
    expect(plain[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(42\): kernel ready {"url":"http:\/\/127\.0\.0\.1:4200"}$/,
    );
    expect(plain[1]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: boot failed {"code":"CONFIG_INVALID"}$/);
    // Coloured: the level at least is wrapped in an ANSI colour.
    expect(out.lines[0]).toContain("\u001b[32mINFO\u001b[39m");
  });
});
