// SIGKILL a real process in the middle of writing memories, then open its file: the vector
// index loads exactly the committed memories and searches like an exact search over the table.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { HashingEmbedder } from "./hashing-embedder.ts";
import { MemoryStore } from "./memory-store.ts";
import { expectIndexConsistent, removeTempDatabases, tempDatabase } from "./test-support.ts";

const fixture = fileURLToPath(new URL("./__fixtures__/remember-until-killed.ts", import.meta.url));
const packageDir = fileURLToPath(new URL("..", import.meta.url));

afterEach(() => {
  removeTempDatabases();
});

/** Starts the writer and kills it with SIGKILL once it has committed `batches` batches. */
function killAfter(path: string, batches: number): Promise<string | null> {
  const child = spawn(process.execPath, ["--conditions=@oxios/source", "--import", "tsx", fixture, path], {
    cwd: packageDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Uint8Array) => {
    stderr += String(chunk);
  });
  const exited = new Promise<string | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk: Uint8Array) => {
      output += String(chunk);
      if (output.includes(`COMMITTED ${batches}\n`)) {
        child.kill("SIGKILL");
        resolve(exited);
      }
    });
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`the writer exited early (${code}): ${stderr}`));
    });
  });
}

it("after SIGKILL mid-write the index holds exactly the committed memories", async () => {
  const path = tempDatabase();
  expect(await killAfter(path, 3)).toBe("SIGKILL");
  const embedder = new HashingEmbedder();
  const store = await MemoryStore.open({ url: `file:${path}`, embedder });
  try {
    expect(store.stats().memories).toBeGreaterThanOrEqual(3 * 63);
    await expectIndexConsistent(store, path, embedder, [
      "deploy vault build",
      "coffee release freeze",
      "rewritten in batch",
    ]);
  } finally {
    await store.close();
  }
});
