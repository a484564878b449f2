import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createHarness, errorCode, type Harness, okOutput, waitFor } from "../test-harness.ts";
import type { ToolResult } from "../tool.ts";
import type { GrepMatch } from "./grep-tool.ts";
import type { LsEntry } from "./ls-tool.ts";

let h: Harness;

/** Bytes this process has read through read(2) and friends so far (Linux `/proc/self/io`, `rchar`). */
function bytesReadByThisProcess(): number {
  const match = /^rchar: (\d+)$/m.exec(readFileSync("/proc/self/io", "utf8"));
  if (match === null) throw new Error("no rchar in /proc/self/io");
  return Number(match[1]);
}

afterEach(async () => {
  await h?.cleanup();
});

describe("read, write, edit", () => {
  it("writes atomically and reads back; refuses content over the write limit", async () => {
    h = await createHarness({ tools: { files: { maxWriteBytes: 16 } } });
    expect(okOutput(await h.session.execute("write", { path: "d/e/f.txt", content: "nested" }))).toEqual({
      path: "d/e/f.txt",
      bytes: 6,
    });
    expect(await readFile(join(h.workspace, "d/e/f.txt"), "utf8")).toBe("nested");
    const big = await h.session.execute("write", { path: "big.txt", content: "x".repeat(17) });
    expect(errorCode(big)).toBe("TOOL_FILE_TOO_LARGE");
    expect(await readdir(join(h.workspace, "d/e"))).toEqual(["f.txt"]); // no temp files left behind
  });

  it("refuses a 2 GiB file by size before reading it", async () => {
    h = await createHarness();
    const huge = join(h.workspace, "huge.bin");
    execFileSync("truncate", ["-s", "2G", huge]);
    const readBefore = bytesReadByThisProcess();
    const result = await h.session.execute("read", { path: "huge.bin" });
    expect(errorCode(result)).toBe("TOOL_FILE_TOO_LARGE");
    if (!result.ok) expect(result.error.details).toMatchObject({ size: 2 * 1024 ** 3, maxBytes: 10 * 1024 * 1024 });
    expect(errorCode(await h.session.execute("edit", { path: "huge.bin", oldText: "a", newText: "b" }))).toBe(
      "TOOL_FILE_TOO_LARGE",
    );
    const grep = okOutput<{ matches: GrepMatch[]; skippedFiles: number }>(
      await h.session.execute("grep", { pattern: "x" }),
    );
    expect(grep.skippedFiles).toBe(1);
    // Three tools refused the file: none of them read it (Linux counts every byte read).
    expect(bytesReadByThisProcess() - readBefore).toBeLessThan(64 * 1024 ** 2);
  });

  it("a write needs its target allowed, not its directory (a file glob outside the workspace)", async () => {
    h = await createHarness();
    const shared = join(h.root, "shared");
    await mkdir(shared);
    const session = await h.sessionFor({ permissions: { paths: { allow: [`${shared}/*.txt`] } } });
    expect(okOutput(await session.execute("write", { path: join(shared, "notes.txt"), content: "hi\n" }))).toEqual({
      path: join(shared, "notes.txt"),
      bytes: 3,
    });
    expect(okOutput(await session.execute("read", { path: join(shared, "notes.txt") }))).toMatchObject({
      content: "hi\n",
    });
    expect(errorCode(await session.execute("write", { path: join(shared, "notes.md"), content: "x" }))).toBe(
      "TOOL_PATH_DENIED",
    );
    expect(await readdir(shared)).toEqual(["notes.txt"]);
  });

  it("read reports missing files and directories with stable codes", async () => {
    h = await createHarness();
    await mkdir(join(h.workspace, "dir"));
    expect(errorCode(await h.session.execute("read", { path: "nope.txt" }))).toBe("TOOL_FILE_NOT_FOUND");
    expect(errorCode(await h.session.execute("read", { path: "dir" }))).toBe("TOOL_FILE_TYPE_INVALID");
  });

  it("edit replaces exactly one match and refuses zero or several", async () => {
    h = await createHarness();
    await writeFile(join(h.workspace, "f.txt"), "alpha beta gamma beta");
    expect(errorCode(await h.session.execute("edit", { path: "f.txt", oldText: "delta", newText: "x" }))).toBe(
      "TOOL_EDIT_NO_MATCH",
    );
    const ambiguous = await h.session.execute("edit", { path: "f.txt", oldText: "beta", newText: "x" });
    expect(errorCode(ambiguous)).toBe("TOOL_EDIT_AMBIGUOUS");
    if (!ambiguous.ok) expect(ambiguous.error.details).toEqual({ occurrences: 2 });
    okOutput(await h.session.execute("edit", { path: "f.txt", oldText: "beta gamma", newText: "BG" }));
    expect(await readFile(join(h.workspace, "f.txt"), "utf8")).toBe("alpha BG beta");
  });
});

describe("ls, find, grep", () => {
  async function tree(harness: Harness): Promise<void> {
    await mkdir(join(harness.workspace, "src/lib"), { recursive: true });
    await writeFile(join(harness.workspace, "src/a.ts"), "export const a = 1;\n// TODO: a\n");
    await writeFile(join(harness.workspace, "src/lib/b.ts"), "export const b = 2;\n");
    await writeFile(join(harness.workspace, "notes.md"), "todo: write docs\n");
    await mkdir(join(harness.root, "outside"));
    await writeFile(join(harness.root, "outside/leak.ts"), "// TODO leak\n");
    await symlink(join(harness.root, "outside"), join(harness.workspace, "src/escape"));
  }

  it("ls lists entries with type and size, links unfollowed", async () => {
    h = await createHarness();
    await tree(h);
    const output = okOutput<{ entries: LsEntry[] }>(await h.session.execute("ls", { path: "src" }));
    expect(output.entries).toEqual([
      { name: "a.ts", type: "file", size: 31 },
      { name: "escape", type: "symlink", size: expect.any(Number) },
      { name: "lib", type: "dir", size: expect.any(Number) },
    ]);
    expect(errorCode(await h.session.execute("ls", { path: "src/escape" }))).toBe("TOOL_PATH_DENIED");
  });

  it("find matches globs and never walks through a symlink out of the workspace", async () => {
    h = await createHarness();
    await tree(h);
    const output = okOutput<{ paths: Array<{ path: string }> }>(
      await h.session.execute("find", { pattern: "**/*.ts", type: "file" }),
    );
    expect(output.paths.map((entry) => entry.path).sort()).toEqual(["src/a.ts", "src/lib/b.ts"]);
  });

  it("grep finds lines, honours ignoreCase and glob, skips what the deny globs refuse", async () => {
    h = await createHarness({ agent: { permissions: { paths: { deny: ["src/lib/**"] } } } });
    await tree(h);
    await writeFile(join(h.workspace, "src/lib/c.ts"), "// TODO hidden\n");
    const output = okOutput<{ matches: GrepMatch[] }>(
      await h.session.execute("grep", { pattern: "todo", ignoreCase: true }),
    );
    expect(output.matches.map((match) => `${match.path}:${match.line}`).sort()).toEqual(["notes.md:1", "src/a.ts:2"]);
    const onlyTs = okOutput<{ matches: GrepMatch[] }>(
      await h.session.execute("grep", { pattern: "TODO", glob: "**/*.ts" }),
    );
    expect(onlyTs.matches).toEqual([{ path: "src/a.ts", line: 2, text: "// TODO: a" }]);
    expect(errorCode(await h.session.execute("grep", { pattern: "(" }))).toBe("TOOL_INPUT_INVALID");
  });

  it("caps results and flags truncation", async () => {
    h = await createHarness({ tools: { files: { maxEntries: 3, maxMatches: 2 } } });
    for (let index = 0; index < 5; index++) await writeFile(join(h.workspace, `f${index}.txt`), "hit\nhit\n");
    const ls = await h.session.execute("ls", {});
    expect(ls.ok && ls.truncated).toBe(true);
    expect(okOutput<{ entries: LsEntry[] }>(ls).entries).toHaveLength(3);
    const grep = await h.session.execute("grep", { pattern: "hit" });
    expect(grep.ok && grep.truncated).toBe(true);
    expect(okOutput<{ matches: GrepMatch[] }>(grep).matches).toHaveLength(2);
  });
});

describe("file tools honour abort mid-execution", () => {
  /** Aborts on the next macrotask after the gate publishes tool.started, i.e. while the tool runs. */
  async function abortMidway(harness: Harness, tool: string, input: unknown): Promise<ToolResult> {
    const controller = new AbortController();
    const publish = harness.publisher.publish.bind(harness.publisher);
    harness.publisher.publish = (event) => {
      if (event.type === "tool.started") setImmediate(() => controller.abort());
      return publish(event);
    };
    return harness.session.execute(tool, input, { signal: controller.signal });
  }

  async function bigTree(harness: Harness): Promise<void> {
    await Promise.all(
      Array.from({ length: 20 }, async (_, dir) => {
        await mkdir(join(harness.workspace, `d${dir}`), { recursive: true });
        await Promise.all(
          Array.from({ length: 50 }, (_, file) =>
            writeFile(join(harness.workspace, `d${dir}`, `f${file}.txt`), "needle line\n".repeat(200)),
          ),
        );
      }),
    );
  }

  const big = "y".repeat(8 * 1024 * 1024);
  const cases: Array<{ tool: string; input: unknown; setup?: (harness: Harness) => Promise<void> }> = [
    {
      tool: "read",
      input: { path: "big.txt" },
      setup: (harness) => writeFile(join(harness.workspace, "big.txt"), big),
    },
    { tool: "write", input: { path: "out.txt", content: big } },
    {
      tool: "edit",
      input: { path: "big.txt", oldText: "yyyz", newText: "q" },
      setup: (harness) => writeFile(join(harness.workspace, "big.txt"), `${big}z`),
    },
    { tool: "ls", input: { path: "d0" }, setup: bigTree },
    { tool: "find", input: { pattern: "**/*.txt" }, setup: bigTree },
    { tool: "grep", input: { pattern: "needle" }, setup: bigTree },
  ];
  for (const testCase of cases) {
    it(`${testCase.tool}: settles ABORTED and leaves no partial file`, async () => {
      h = await createHarness();
      await testCase.setup?.(h);
      const result = await abortMidway(h, testCase.tool, testCase.input);
      expect(errorCode(result)).toBe("ABORTED");
      expect(h.publisher.ofType("tool.failed")[0]?.payload.error.code).toBe("ABORTED");
      // The gate settles first; wait for the tool itself to wind down (it logs when it does).
      await waitFor(() => h.logger.find("debug", "after").length > 0);
      const leftovers = (await readdir(h.workspace)).filter((name) => name.endsWith(".tmp") || name === "out.txt");
      expect(leftovers).toEqual([]);
    });
  }
});
