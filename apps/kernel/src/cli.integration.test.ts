import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, onTestFinished } from "vitest";
import { BIN, cleanEnvironment, freePort, tempHome } from "./__fixtures__/kernel-process.ts";

const execFileAsync = promisify(execFile);

describe("oxios start / status / stop (default USE-lite embedder, demo model)", () => {
  it("starts detached, answers, reports status and where the token is (never the token), and stops gracefully", async () => {
    const home = tempHome();
    const port = await freePort();
    const env = { ...cleanEnvironment(), OXIOS_HOME: home, OXIOS_PORT: String(port), OXIOS_EMBEDDER: "" };
    const cli = async (...args: string[]) => {
      try {
        return (await execFileAsync(process.execPath, [BIN, ...args], { env })).stdout;
      } catch (error) {
        const failed = error as { stdout: string; stderr: string; code: number };
        return `exit ${failed.code}\n${failed.stdout}${failed.stderr}`;
      }
    };
    // The daemon `start` leaves behind is stopped even when an assertion fails half-way.
    onTestFinished(async () => {
      await cli("stop");
    });
    const started = await cli("start");
    expect(started).toMatch(new RegExp(`oxios started \\(pid \\d+\\) on http://127.0.0.1:${port}`));
    expect(statSync(join(home, "api-token")).mode & 0o777).toBe(0o600);
    const token = readFileSync(join(home, "api-token"), "utf8").trim();
    // Not a terminal: the new token is not printed, only where it is.
    expect(started).toContain(`token: created in ${join(home, "api-token")}`);
    expect(started).not.toContain(token);
    const status = await cli("status");
    expect(status).toMatch(/oxios is running[\s\S]*uptime[\s\S]*token:\s+in \S+api-token/);
    expect(status).not.toContain(token);
    expect(await cli("start")).toMatch(/exit 1[\s\S]*already running/);
    // `oxios console` prints the signed-in link; the page it names is the built console.
    expect((await cli("console")).trim()).toBe(`http://127.0.0.1:${port}/#token=${encodeURIComponent(token)}`);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain("<title>Oxios console</title>");
    const statusJson = await fetch(`http://127.0.0.1:${port}/api/status`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await statusJson.json()).toMatchObject({
      model: { demo: true },
      memory: { mode: "hybrid", embedder: "use-lite" },
      sandbox: { kind: "bubblewrap", available: true },
    });
    expect(await cli("run", "remember that the garden needs water on Fridays")).toContain("[demo]");
    expect(await cli("memory", "search", "when does the garden need water")).toContain("Fridays");
    const doctor = await cli("doctor");
    expect(doctor).toMatch(/ok\s+node[\s\S]*ok\s+sqlite-vec[\s\S]*ok\s+embedder[\s\S]*ok\s+port/);
    expect(doctor).toMatch(
      existsSync("/usr/bin/chromium")
        ? /ok\s+browser\s+auto: on \(\/usr\/bin\/chromium found\)/
        : /ok\s+browser\s+auto: off \(\/usr\/bin\/chromium not found\)/,
    );
    expect(doctor).toMatch(/ok\s+mcp\s+no servers configured/);
    expect(doctor).toMatch(/ok\s+sandbox\s+bubblewrap \(every exec runs in it\)/);
    expect(await cli("stop")).toContain("oxios stopped (graceful");
    expect(existsSync(join(home, "oxios.pid"))).toBe(false);
    expect(await cli("status")).toMatch(/exit 3[\s\S]*oxios is stopped/);
    expect(await cli("console")).toMatch(/exit 3[\s\S]*oxios is not running/);
  });
});
