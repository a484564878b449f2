import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleFixture } from "@oxios/tooling/fixture";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./__fixtures__/save-race.ts", import.meta.url));
const SAVES = 150;

let root: string;
let bundle: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "oxios-two-writers-"));
  bundle = await bundleFixture(fixture);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(dirname(bundle), { recursive: true, force: true });
});

interface Writer {
  child: ChildProcess;
  ready: Promise<void>;
  exit: Promise<{ code: number | null; stderr: string }>;
}

function startWriter(name: string): Writer {
  const child = spawn(process.execPath, [bundle, root, name, String(SAVES)], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.once("data", () => resolve());
    child.once("error", reject);
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.once("exit", (code) => resolve({ code, stderr }));
  });
  return { child, ready, exit };
}

/** A state file as one writer wrote it: parses, and its padding is that writer's alone. */
function expectWhole(text: string): void {
  const value = JSON.parse(text) as { writer: string; index: number; pad: string };
  expect(["a", "b"]).toContain(value.writer);
  expect(value.pad).toBe(value.writer.repeat(16_384));
}

describe("two processes on one state directory", () => {
  it("both write the same key at once: every save succeeds and the file never tears", async () => {
    const writers = [startWriter("a"), startWriter("b")];
    await Promise.all(writers.map((writer) => writer.ready));
    for (const writer of writers) writer.child.stdin?.write("go\n");
    let running = true;
    const exits = Promise.all(writers.map((writer) => writer.exit)).finally(() => {
      running = false;
    });
    // Read the key over and over while both write it: each read sees one writer's whole file.
    let reads = 0;
    const path = join(root, "sessions", "shared.json");
    while (running) {
      const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
      if (text === undefined) continue;
      expectWhole(text);
      reads += 1;
    }
    for (const outcome of await exits) expect(outcome).toEqual({ code: 0, stderr: "" });
    expect(reads).toBeGreaterThan(0);
    expectWhole(await readFile(path, "utf8"));
    expect((await readdir(join(root, "sessions"))).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});
