import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { provideApiToken, tokenNotice } from "./token.ts";

describe("the API token", () => {
  it("is created once (0600), then read; the notice shows it only at creation on a terminal", () => {
    const home = join(mkdtempSync(join(tmpdir(), "oxios-token-")), "home");
    const created = provideApiToken(home, undefined, undefined);
    expect(created.source).toBe("created");
    expect(statSync(created.path).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(readFileSync(created.path, "utf8").trim()).toBe(created.token);

    expect(tokenNotice(created, true).lines.join("\n")).toContain(created.token);
    expect(tokenNotice(created, false).lines.join("\n")).not.toContain(created.token);

    const again = provideApiToken(home, undefined, undefined);
    expect(again).toEqual({ ...created, source: "file" });
    for (const terminal of [true, false]) {
      const notice = tokenNotice(again, terminal);
      expect(`${notice.lines.join("\n")} ${notice.curlHeader}`).not.toContain(created.token);
    }
    const configured = provideApiToken(home, "configured-token-0123", undefined);
    expect(configured.source).toBe("environment");
    expect(JSON.stringify(tokenNotice(configured, true))).not.toContain("configured-token-0123");
  });
});
