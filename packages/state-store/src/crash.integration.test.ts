import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleFixture } from "@oxios/tooling/fixture";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StateStore } from "./state-store.ts";

const fixture = fileURLToPath(new URL("./__fixtures__/save-loop.ts", import.meta.url));
const KILLS = 20;

let root: string;
// The fixture bundled once: each of the 20 children then starts in plain node.
let bundle: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "oxios-crash-"));
  bundle = await bundleFixture(fixture);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(dirname(bundle), { recursive: true, force: true });
});

/** Starts the save loop, waits until it runs, lets it write for `ms`, then SIGKILLs it. */
function runAndKill(ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, root], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.once("data", () => {
      setTimeout(() => child.kill("SIGKILL"), ms);
    });
    child.once("error", reject);
    child.once("exit", (_code, signal) => {
      if (signal === "SIGKILL") resolve();
      else reject(new Error(`save loop exited on its own (${String(signal)}): ${stderr}`));
    });
  });
}

describe("crash safety", () => {
  it(`SIGKILL during saves, ${KILLS} times: the file always parses and temp files are cleaned at open`, async () => {
    let last = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      // Vary the moment of death across the write cycle.
      await runAndKill(5 + ((kill * 37) % 60));
      const text = await readFile(join(root, "sessions", "hot.json"), "utf8");
      const value = JSON.parse(text) as { counter: number; pad: string };
      expect(value.pad).toHaveLength(4096);
      expect(value.counter).toBeGreaterThan(0);
      last = value.counter;
      const store = await StateStore.open({ root });
      expect(await store.load("sessions", "hot")).toEqual(value);
      const leftovers = (await readdir(join(root, "sessions"))).filter((name) => name.endsWith(".tmp"));
      expect(leftovers).toEqual([]);
      await store.close();
    }
    expect(last).toBeGreaterThan(0);
  });
});
