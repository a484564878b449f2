/**
 * `pnpm dev` as a newcomer sees it: no update notice from pnpm, no telemetry notice from turbo,
 * and Ctrl-C ends it after the kernel's clean shutdown without `[ELIFECYCLE] Command failed`.
 * The workspace's pnpm settings (`pnpm-workspace.yaml`: `updateNotifier: false`,
 * `shellEmulator: true`) and the root `dev` script's environment are what is under test.
 */

import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { freePort, spawnKernel, tempHome } from "./__fixtures__/kernel-process.ts";

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const PNPM = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { packageManager: string })
  .packageManager;

describe("pnpm dev", () => {
  it("Ctrl-C ends `pnpm dev` after the kernel's clean shutdown, without ELIFECYCLE or an update or telemetry notice", async () => {
    const home = tempHome();
    const port = await freePort();
    // Fresh state and config directories: pnpm would check for a newer version of itself now,
    // and turbo would announce its telemetry as on a first run.
    const state = mkdtempSync(join(tmpdir(), "oxios-pnpm-state-"));
    const config = mkdtempSync(join(tmpdir(), "oxios-turbo-config-"));
    const { TURBO_TELEMETRY_DISABLED: _a, TURBO_NO_UPDATE_NOTIFIER: _b, ...environment } = process.env;
    const child = spawn("npx", ["-y", PNPM, "dev"], {
      cwd: ROOT,
      // Its own process group, like a terminal's foreground job: Ctrl-C reaches every process in it.
      detached: true,
      env: {
        ...environment,
        OXIOS_HOME: home,
        OXIOS_PORT: String(port),
        OXIOS_EMBEDDER: "hashing",
        XDG_STATE_HOME: state,
        XDG_CONFIG_HOME: config,
        NO_COLOR: "1",
        // A newcomer's terminal, not a CI job: pnpm stays quiet in CI whatever its settings.
        CI: "false",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const append = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    // Every process of the group holds the pipes; both close once the last of them (the kernel) is gone.
    const closed = Promise.all([
      new Promise((resolve) => child.stdout.once("close", resolve)),
      new Promise((resolve) => child.stderr.once("close", resolve)),
    ]);
    const listening = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (output.includes("listening on")) resolve();
      };
      child.stdout.on("data", check);
      child.stderr.on("data", check);
      child.once("exit", () => reject(new Error(`pnpm dev exited before the kernel listened:\n${output}`)));
    });
    await listening;
    // The console is served at the printed URL (prebuilt: `pnpm dev` builds it with the kernel).
    const url = (/listening on (http:\/\/\S+)/.exec(output) as RegExpExecArray)[1] as string;
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>Oxios console</title>");
    process.kill(-(child.pid as number), "SIGINT");
    await closed;
    // Not a terminal here: the kernel's records are JSON lines.
    expect(output).toMatch(/{"level":"info".*"ok":true.*"message":"shutdown complete"}/);
    expect(output).not.toContain("ELIFECYCLE");
    expect(output).not.toContain("Update available");
    expect(output).not.toContain("telemetry");
    expect(existsSync(join(home, "oxios.pid"))).toBe(false);
    // The same install asked to notify does: the check above can see the notice.
    const notifying = await execFileAsync("npx", ["-y", PNPM, "install", "--frozen-lockfile"], {
      cwd: ROOT,
      env: {
        ...process.env,
        XDG_STATE_HOME: mkdtempSync(join(tmpdir(), "oxios-pnpm-state-")),
        pnpm_config_update_notifier: "true",
        CI: "false",
      },
    });
    expect(`${notifying.stdout}${notifying.stderr}`).toContain("Update available");
  }, 300_000);

  it("the kernel exits 0 on SIGINT after a clean shutdown", async () => {
    const home = tempHome();
    const port = await freePort();
    const kernel = spawnKernel({ OXIOS_HOME: home, OXIOS_PORT: String(port) });
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (kernel.output().includes("listening on")) resolve();
      };
      kernel.child.stdout?.on("data", check);
      kernel.child.stderr?.on("data", check);
      void kernel.exited.then(() => reject(new Error(`the kernel exited during boot:\n${kernel.output()}`)));
    });
    kernel.child.kill("SIGINT");
    expect((await kernel.exited).code).toBe(0);
    expect(kernel.output()).toContain('"reason":"SIGINT"');
  });
});
