import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryLogger } from "@oxios/core/testing";
import { describe, expect, it } from "vitest";
import { secureHome } from "./home-permissions.ts";

const mode = (path: string) => statSync(path).mode & 0o777;

describe("secureHome", () => {
  it("tightens a home an older version left world-readable, once, with one warning", () => {
    const root = mkdtempSync(join(tmpdir(), "oxios-home-"));
    const home = join(root, "home");
    mkdirSync(join(home, "state", ".git"), { recursive: true });
    mkdirSync(join(home, "logs"));
    writeFileSync(join(home, "oxios.db"), "db");
    writeFileSync(join(home, "state", "run.json"), "{}");
    writeFileSync(join(home, "state", ".git", "HEAD"), "ref");
    writeFileSync(join(home, "logs", "oxios.log"), "log");
    const outside = join(root, "outside.txt");
    writeFileSync(outside, "not the kernel's");
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(home, "link"));
    for (const dir of [home, join(home, "state"), join(home, "state", ".git"), join(home, "logs")])
      chmodSync(dir, 0o755);
    for (const file of ["oxios.db", "state/run.json", "state/.git/HEAD", "logs/oxios.log"]) {
      chmodSync(join(home, file), 0o644);
    }
    const logger = createMemoryLogger();

    const changed = secureHome(home, logger);

    expect(changed).toHaveLength(8);
    for (const dir of [home, join(home, "state"), join(home, "state", ".git"), join(home, "logs")]) {
      expect(mode(dir).toString(8), dir).toBe("700");
    }
    for (const file of ["oxios.db", "state/run.json", "state/.git/HEAD", "logs/oxios.log"]) {
      expect(mode(join(home, file)).toString(8), file).toBe("600");
    }
    expect(mode(outside).toString(8)).toBe("644");
    expect(logger.find("warn", "tightened permissions")).toHaveLength(1);

    expect(secureHome(home, logger)).toEqual([]);
    expect(logger.find("warn", "tightened permissions")).toHaveLength(1);
  });

  it("creates a missing home 0700", () => {
    const home = join(mkdtempSync(join(tmpdir(), "oxios-home-")), "a", "b");
    expect(secureHome(home, createMemoryLogger())).toEqual([]);
    expect(mode(home).toString(8)).toBe("700");
  });
});
